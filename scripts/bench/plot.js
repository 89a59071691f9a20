// Line charts as PNG files for the benchmark reports, with no dependency but zlib:
//   plotLines({ title, xLabel, yLabel, series: [{ name, points: [[x, y], ...] }] }, 'out.png')
// Optional: width, height (pixels; default 800×480), xRange, yRange ([min, max], either end may be
// undefined; default: the data, widened to round ticks). Points with a non-finite coordinate are
// skipped (they break the line).
const fs = require('node:fs');
const path = require('node:path');
const { drawText, textWidth, GLYPH_HEIGHT } = require('./font');
const { Raster } = require('./png');

/** Series colours in order (Tableau 10); a series past the tenth reuses them. */
const PALETTE = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];
const INK = [30, 30, 30];
const GRID = [228, 228, 228];
const FRAME = [170, 170, 170];
const MARGIN = { left: 78, right: 20, top: 40, bottom: 50 };

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
function niceTicks(lo, hi, count = 6) {
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  for (let v = first; v <= last + step / 2; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { ticks, step, min: first, max: last };
}

function tickLabel(value, step) {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const fixed = value.toFixed(decimals);
  return fixed.length > 9 ? value.toExponential(2) : fixed;
}

/** An axis over `values`; either end of `range` (when given) overrides the data's. */
function axis(values, range = []) {
  const finite = values.filter(Number.isFinite);
  const lo = range[0] ?? finite.reduce((a, b) => Math.min(a, b), finite.length ? Number.POSITIVE_INFINITY : 0);
  const hi = range[1] ?? finite.reduce((a, b) => Math.max(a, b), finite.length ? Number.NEGATIVE_INFINITY : 1);
  const ticks = niceTicks(lo, hi);
  return { ...ticks, min: range[0] ?? ticks.min, max: range[1] ?? ticks.max };
}

function checkSpec(spec) {
  if (!spec || !Array.isArray(spec.series) || spec.series.length === 0) throw new TypeError('plotLines needs a non-empty series array');
  for (const [i, s] of spec.series.entries())
    if (!s || !Array.isArray(s.points) || !s.points.every((p) => Array.isArray(p) && p.length === 2))
      throw new TypeError(`series[${i}].points must be an array of [x, y] pairs`);
}

/** Draws the chart and writes it to `file` as PNG. Returns the size and the PNG bytes. */
function plotLines(spec, file) {
  checkSpec(spec);
  const width = spec.width ?? 800;
  const height = spec.height ?? 480;
  const img = new Raster(width, height);
  const all = spec.series.flatMap((s) => s.points);
  const xs = axis(
    all.map((p) => p[0]),
    spec.xRange,
  );
  const ys = axis(
    all.map((p) => p[1]),
    spec.yRange,
  );
  const left = MARGIN.left;
  const top = MARGIN.top;
  const right = width - MARGIN.right;
  const bottom = height - MARGIN.bottom;
  const px = (x) => left + ((x - xs.min) / (xs.max - xs.min)) * (right - left);
  const py = (y) => bottom - ((y - ys.min) / (ys.max - ys.min)) * (bottom - top);

  // Grid and tick labels, then the axes over them.
  for (const t of xs.ticks.filter((t) => t >= xs.min && t <= xs.max)) {
    img.line(px(t), top, px(t), bottom, GRID);
    img.line(px(t), bottom, px(t), bottom + 4, INK);
    const label = tickLabel(t, xs.step);
    drawText(img, label, Math.round(px(t) - textWidth(label) / 2), bottom + 8, INK);
  }
  for (const t of ys.ticks.filter((t) => t >= ys.min && t <= ys.max)) {
    img.line(left, py(t), right, py(t), GRID);
    img.line(left - 4, py(t), left, py(t), INK);
    const label = tickLabel(t, ys.step);
    drawText(img, label, left - 8 - textWidth(label), Math.round(py(t) - GLYPH_HEIGHT / 2), INK);
  }
  img.line(left, top, left, bottom, INK);
  img.line(left, bottom, right, bottom, INK);

  if (spec.title) drawText(img, spec.title, Math.round((width - textWidth(spec.title, 2)) / 2), 12, INK, { scale: 2 });
  if (spec.xLabel) drawText(img, spec.xLabel, Math.round((left + right - textWidth(spec.xLabel)) / 2), height - 18, INK);
  if (spec.yLabel) drawText(img, spec.yLabel, 10, Math.round((top + bottom + textWidth(spec.yLabel)) / 2), INK, { vertical: true });

  // Series, clipped to the plot area by skipping segments that leave it.
  const inside = (x, y) => x >= left && x <= right && y >= top && y <= bottom;
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    let prev = null;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        prev = null;
        continue;
      }
      const point = [px(x), py(y)];
      if (!inside(...point)) {
        prev = null;
        continue;
      }
      if (prev) img.line(prev[0], prev[1], point[0], point[1], color, 2);
      else img.fillRect(Math.round(point[0]) - 1, Math.round(point[1]) - 1, 2, 2, color);
      prev = point;
    }
  });

  // Legend on white, in the corner of the plot area where it hides the fewest series pixels.
  const names = spec.series.map((s) => String(s.name ?? ''));
  if (names.some((n) => n.length > 0)) {
    const boxWidth = 30 + Math.max(...names.map((n) => textWidth(n)));
    const boxHeight = names.length * 14 + 6;
    const seriesColors = new Set(PALETTE.map((c) => c.join()));
    const hidden = ([x, y]) => {
      let n = 0;
      for (let v = y; v <= y + boxHeight; v++) {
        for (let u = x; u <= x + boxWidth; u++) if (seriesColors.has(img.get(u, v).join())) n++;
      }
      return n;
    };
    const corners = [
      [right - boxWidth - 8, top + 8],
      [left + 8, top + 8],
      [right - boxWidth - 8, bottom - boxHeight - 8],
      [left + 8, bottom - boxHeight - 8],
    ].map((corner) => ({ corner, hidden: hidden(corner) }));
    const [x0, y0] = corners.reduce((best, c) => (c.hidden < best.hidden ? c : best)).corner;
    img.fillRect(x0, y0, boxWidth, boxHeight, [255, 255, 255]);
    for (const [xa, ya, xb, yb] of [
      [x0, y0, x0 + boxWidth, y0],
      [x0, y0 + boxHeight, x0 + boxWidth, y0 + boxHeight],
      [x0, y0, x0, y0 + boxHeight],
      [x0 + boxWidth, y0, x0 + boxWidth, y0 + boxHeight],
    ])
      img.line(xa, ya, xb, yb, FRAME);
    names.forEach((name, i) => {
      const y = y0 + 6 + i * 14;
      img.fillRect(x0 + 6, y + 2, 16, 3, PALETTE[i % PALETTE.length]);
      drawText(img, name, x0 + 26, y, INK);
    });
  }

  const png = img.toPng();
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, png);
  return { width, height, png };
}

module.exports = { plotLines, niceTicks, PALETTE };
