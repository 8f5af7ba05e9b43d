// A small seeded pseudo-random generator, so the demo district comes out the same every time.

/** Mixes a string into a 32-bit seed. */
function hashSeed(text) {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	return h;
}

class Random {
	constructor(seed) {
		this.state = (typeof seed === 'string' ? hashSeed(seed) : seed) >>> 0;
	}

	/** Uniform in [0, 1). */
	next() {
		this.state = (this.state + 0x9e3779b9) >>> 0;
		let z = this.state;
		z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
		z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
		return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
	}

	/** Whole number from min to max, both included. */
	int(min, max) {
		return min + Math.floor(this.next() * (max - min + 1));
	}

	chance(p) {
		return this.next() < p;
	}

	pick(list) {
		return list[Math.floor(this.next() * list.length)];
	}

	/** Picks by weight from [value, weight] pairs. */
	weighted(pairs) {
		const total = pairs.reduce((s, [, w]) => s + w, 0);
		let r = this.next() * total;
		for (const [value, w] of pairs) {
			r -= w;
			if (r < 0) return value;
		}
		return pairs[pairs.length - 1][0];
	}

	shuffle(list) {
		const a = [...list];
		for (let i = a.length - 1; i > 0; i--) {
			const j = Math.floor(this.next() * (i + 1));
			[a[i], a[j]] = [a[j], a[i]];
		}
		return a;
	}

	/** Splits total into n whole parts, each within spread of the mean, summing exactly to total. */
	split(total, n, spread) {
		const mean = total / n;
		const parts = Array.from({ length: n }, () => Math.max(1, Math.round(mean + (this.next() * 2 - 1) * spread)));
		let diff = total - parts.reduce((s, x) => s + x, 0);
		for (let i = 0; diff !== 0; i = (i + 1) % n) {
			const step = Math.sign(diff);
			if (parts[i] + step >= 1) {
				parts[i] += step;
				diff -= step;
			}
		}
		return parts;
	}
}

module.exports = { Random, hashSeed };
