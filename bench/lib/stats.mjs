// Figures over trials, for the bench scripts.

/**
 * The median of the numbers in `xs` (null, undefined and NaN left out; with an
 * even count, the lower middle one), or null when none is left. Infinity counts:
 * a trial whose p99 is infinitely late is a real trial.
 */
export function median(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : null;
}
