// Least-squares line through (x, y) points: how fast memory grows, for the soak.

/** Slope and intercept of the least-squares line; slope 0 for fewer than two distinct x. */
function leastSquares(points) {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: n ? points[0][1] : 0 };
  let mx = 0;
  let my = 0;
  for (const [x, y] of points) {
    mx += x / n;
    my += y / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

module.exports = { leastSquares };
