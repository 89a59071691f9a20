// Renders the Vega-Lite spec read on stdin to a PNG file (Vega's SVG, converted by sharp):
//   node scripts/bench/render-vega.mjs out.png < spec.json
// A process of its own so that CommonJS callers (and test runners without ES-module support) can
// render synchronously; plot.js is the interface.
import * as fs from 'node:fs';
import sharp from 'sharp';
import * as vega from 'vega';
import { compile } from 'vega-lite';

const spec = JSON.parse(fs.readFileSync(0, 'utf8'));
const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
const svg = await view.toSVG();
view.finalize();
await sharp(Buffer.from(svg)).png().toFile(process.argv[2]);
