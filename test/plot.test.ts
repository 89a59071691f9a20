import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

type Rgb = [number, number, number];
interface Spec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  yRange?: (number | undefined)[];
  series: { name: string; points: number[][] }[];
}
const { plotLines, PALETTE } = require('../scripts/bench/plot.js') as {
  plotLines: (spec: Spec, file: string) => { width: number; height: number; png: Buffer };
  PALETTE: string[];
};
const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as Rgb;

/** The PNG's pixels, read back by sharp. */
async function decode(file: string) {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const pixel = (x: number, y: number): Rgb => {
    const o = 3 * (y * info.width + x);
    return [data[o], data[o + 1], data[o + 2]];
  };
  return { width: info.width, height: info.height, pixel };
}

/** Pixels within a small distance of `color`: their count and, per column, their mean row. */
function trace(img: Awaited<ReturnType<typeof decode>>, color: Rgb) {
  const rowsByColumn = new Map<number, number>();
  let count = 0;
  for (let x = 0; x < img.width; x++) {
    let sum = 0;
    let n = 0;
    for (let y = 0; y < img.height; y++) {
      const p = img.pixel(x, y);
      if (Math.abs(p[0] - color[0]) + Math.abs(p[1] - color[1]) + Math.abs(p[2] - color[2]) <= 24) {
        sum += y;
        n++;
      }
    }
    if (n > 0) rowsByColumn.set(x, sum / n);
    count += n;
  }
  return { count, rowsByColumn };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-plot-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('writes a PNG of the asked size whose series are drawn in their colours, in the right direction', async () => {
  const file = path.join(dir, 'lines.png');
  const rising = Array.from({ length: 50 }, (_, i) => [i, 10 + 2 * i]);
  const falling = Array.from({ length: 50 }, (_, i) => [i, 110 - i]);
  const result = plotLines(
    {
      title: 'RSS over restores',
      xLabel: 'restores',
      yLabel: 'MB',
      width: 640,
      height: 400,
      series: [
        { name: 'rising', points: rising },
        { name: 'falling', points: falling },
      ],
    },
    file,
  );
  const img = await decode(file);
  expect([img.width, img.height]).toEqual([640, 400]);
  expect(result.png.equals(fs.readFileSync(file))).toBe(true);

  const up = trace(img, rgb(PALETTE[0]));
  const down = trace(img, rgb(PALETTE[1]));
  // Lines span most of the width (axes and labels take the rest).
  for (const s of [up, down]) expect(s.rowsByColumn.size).toBeGreaterThan(0.6 * 640);
  // Image rows grow downwards: a rising series has its left end lower in the image than its right.
  const ends = (s: typeof up) => {
    const columns = [...s.rowsByColumn.keys()].sort((a, b) => a - b);
    return [s.rowsByColumn.get(columns[2])!, s.rowsByColumn.get(columns.at(-3)!)!];
  };
  const [upLeft, upRight] = ends(up);
  const [downLeft, downRight] = ends(down);
  expect(upLeft).toBeGreaterThan(upRight + 100);
  expect(downLeft).toBeLessThan(downRight - 50);
  // The rising series (y 10..108) starts below the falling one (y 110..61) and ends above it.
  expect(upLeft).toBeGreaterThan(downLeft);
  expect(upRight).toBeLessThan(downRight);
  // A third colour is not there.
  expect(trace(img, rgb(PALETTE[2])).count).toBe(0);
});

test('a constant series, a single point and non-finite points still make a valid image', async () => {
  const file = path.join(dir, 'flat.png');
  plotLines(
    {
      yRange: [0, undefined],
      series: [
        { name: 'flat', points: [0, 1, 2, 3].map((x) => [x, 5]) },
        {
          name: 'gaps',
          points: [
            [0, 1],
            [1, Number.NaN],
            [2, Number.POSITIVE_INFINITY],
            [3, 2],
          ],
        },
        { name: 'one', points: [[1.5, 4]] },
      ],
    },
    file,
  );
  const img = await decode(file);
  expect([img.width, img.height]).toEqual([800, 480]);
  for (const color of PALETTE.slice(0, 3)) expect(trace(img, rgb(color)).count).toBeGreaterThan(0);
});

test('rejects a spec without series', () => {
  expect(() => plotLines({ series: [] }, path.join(dir, 'none.png'))).toThrow(/series/);
});
