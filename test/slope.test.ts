// The soak's leak criterion: the least-squares slope of memory over calls.
const { leastSquares } = require('../scripts/bench/slope.js') as {
  leastSquares: (points: number[][]) => { slope: number; intercept: number };
};

test('recovers the line through exact points', () => {
  const fit = leastSquares([0, 1, 2, 3, 4].map((x) => [x, 3 * x + 7]));
  expect(fit.slope).toBeCloseTo(3, 12);
  expect(fit.intercept).toBeCloseTo(7, 12);
});

test('a steady level with symmetric noise has no slope; a ramp under noise keeps its slope', () => {
  const noise = [5, -5, 3, -3, 0, 0, -3, 3, -5, 5];
  expect(leastSquares(noise.map((n, i) => [i * 100, 1e8 + n])).slope).toBeCloseTo(0, 12);
  const fit = leastSquares(noise.map((n, i) => [i * 100, 1e8 + 40 * i + n]));
  expect(fit.slope).toBeGreaterThan(0.3);
  expect(fit.slope).toBeLessThan(0.5);
});

test('fewer than two points, or one x only, give slope 0', () => {
  expect(leastSquares([])).toEqual({ slope: 0, intercept: 0 });
  expect(leastSquares([[1, 5]])).toEqual({ slope: 0, intercept: 5 });
  expect(
    leastSquares([
      [2, 1],
      [2, 9],
    ]).slope,
  ).toBe(0);
});
