// Line charts as PNG files for the benchmark reports: a Vega-Lite spec, rendered to SVG by Vega and
// converted by sharp (in render-vega.mjs, a process of its own, so that this stays synchronous).
//   plotLines({ title, xLabel, yLabel, series: [{ name, points: [[x, y], ...] }] }, 'out.png')
// Optional: width, height (pixels of the whole picture; default 800×480), xRange, yRange ([min, max],
// either end may be undefined; default: the data, widened to round ticks). Points with a non-finite
// coordinate are skipped and break the line.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** Series colours in order (Tableau 10); a series past the tenth reuses them. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function checkSpec(spec) {
  if (!spec || !Array.isArray(spec.series) || spec.series.length === 0)
    throw new Error('plotLines: the spec needs a non-empty series list');
  for (const s of spec.series)
    if (typeof s.name !== 'string' || !Array.isArray(s.points)) throw new Error('plotLines: each series needs a name and points');
}

/** The scale of one axis: the data's extent, with the ends the caller fixed. */
function scale([min, max] = []) {
  return { zero: false, nice: true, ...(min !== undefined && { domainMin: min }), ...(max !== undefined && { domainMax: max }) };
}

/** The Vega-Lite spec of the chart. */
function vegaLiteSpec(spec) {
  const width = spec.width ?? 800;
  const height = spec.height ?? 480;
  const values = spec.series.flatMap((s, order) =>
    s.points.map(([x, y]) => ({ series: s.name, order, x: Number.isFinite(x) ? x : null, y: Number.isFinite(y) ? y : null })),
  );
  const names = spec.series.map((s) => s.name);
  return {
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    title: spec.title ?? '',
    data: { values },
    mark: { type: 'line', point: spec.series.some((s) => s.points.length === 1), invalid: 'break-paths-filter-domains' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: spec.xLabel ?? '', scale: scale(spec.xRange) },
      y: { field: 'y', type: 'quantitative', title: spec.yLabel ?? '', scale: scale(spec.yRange) },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: names,
        scale: { domain: names, range: names.map((_, i) => PALETTE[i % PALETTE.length]) },
        legend: { orient: 'bottom-right', fillColor: 'white' },
      },
      order: { field: 'x', type: 'quantitative' },
    },
  };
}

/** Draws the series and writes the PNG to `file`; returns its size and bytes. */
function plotLines(spec, file) {
  checkSpec(spec);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  execFileSync(process.execPath, [path.join(__dirname, 'render-vega.mjs'), file], { input: JSON.stringify(vegaLiteSpec(spec)) });
  const png = fs.readFileSync(file);
  // IHDR, the first chunk: width and height after the 8-byte signature and the chunk's length and type.
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), png };
}

module.exports = { plotLines, vegaLiteSpec, PALETTE };
