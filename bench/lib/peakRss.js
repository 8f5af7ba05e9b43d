// Preloaded (node -r) into every benchmark the suite runs: writes the process's peak resident set size
// (getrusage maxrss, in kB) to GRID_BENCH_PEAK_FILE when it exits, for the suite's "peak RSS" column.
const fs = require('fs');

const file = process.env.GRID_BENCH_PEAK_FILE;
if (file) {
	process.on('exit', () => {
		try {
			fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
		} catch {
			// the suite then shows no figure; the benchmark's own result stands
		}
	});
}
