// Copies what tsc does not emit (icons, codex files, workflow templates) into dist/.
const { src, dest, parallel } = require('gulp');

function icons() {
	return src(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(dest('dist'));
}

function codex() {
	return src('nodes/**/*.node.json', { base: '.' }).pipe(dest('dist'));
}

function templates() {
	return src('workflows/*.json', { base: '.' }).pipe(dest('dist'));
}

exports.build = parallel(icons, codex, templates);
exports.default = exports.build;
