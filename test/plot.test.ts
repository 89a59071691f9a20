import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

type Rgb = [number, number, number];
interface Spec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  series: { name: string; points: number[][] }[];
}
const { plotLines, niceTicks, PALETTE } = require('../scripts/bench/plot.js') as {
  plotLines: (spec: Spec, file: string) => { width: number; height: number; png: Buffer };
  niceTicks: (lo: number, hi: number, count?: number) => { ticks: number[]; step: number; min: number; max: number };
  PALETTE: Rgb[];
};
const { crc32 } = require('../scripts/bench/png.js') as { crc32: (b: Uint8Array) => number };

/** Reads an 8-bit RGB PNG back: checks signature, chunk CRCs and filters, returns the pixels. */
function decodePng(file: Buffer): { width: number; height: number; pixel: (x: number, y: number) => Rgb } {
  expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let o = 8; o < file.length; ) {
    const length = file.readUInt32BE(o);
    const typed = file.subarray(o + 4, o + 8 + length);
    expect(file.readUInt32BE(o + 8 + length)).toBe(crc32(typed));
    chunks.push({ type: typed.subarray(0, 4).toString('ascii'), data: typed.subarray(4) });
    o += 12 + length;
  }
  expect(chunks[0].type).toBe('IHDR');
  expect(chunks.at(-1)?.type).toBe('IEND');
  const header = chunks[0].data;
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  expect([...header.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
  const rows = zlib.inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  expect(rows.length).toBe(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) expect(rows[y * (1 + 3 * width)]).toBe(0);
  const pixel = (x: number, y: number): Rgb => {
    const i = y * (1 + 3 * width) + 1 + 3 * x;
    return [rows[i], rows[i + 1], rows[i + 2]];
  };
  return { width, height, pixel };
}

/** Where a colour was drawn: pixel count and mean row per column. */
function trace(img: ReturnType<typeof decodePng>, color: Rgb): { count: number; rowsByColumn: Map<number, number> } {
  let count = 0;
  const rowsByColumn = new Map<number, number>();
  for (let x = 0; x < img.width; x++) {
    const rows: number[] = [];
    for (let y = 0; y < img.height; y++) if (img.pixel(x, y).every((v, k) => v === color[k])) rows.push(y);
    count += rows.length;
    if (rows.length) rowsByColumn.set(x, rows.reduce((a, b) => a + b, 0) / rows.length);
  }
  return { count, rowsByColumn };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-plot-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('writes a PNG of the asked size whose series are drawn in their colours, in the right direction', () => {
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
  const img = decodePng(fs.readFileSync(file));
  expect([img.width, img.height]).toEqual([640, 400]);
  expect(result.png.equals(fs.readFileSync(file))).toBe(true);

  const up = trace(img, PALETTE[0]);
  const down = trace(img, PALETTE[1]);
  // Lines span most of the width (the legend hides a little), each column a pixel or two thick.
  for (const s of [up, down]) {
    expect(s.rowsByColumn.size).toBeGreaterThan(0.6 * 640);
    expect(s.count).toBeGreaterThan(s.rowsByColumn.size);
  }
  // Image rows grow downwards: a rising series has its left end lower in the image than its right.
  const ends = (s: typeof up) => {
    const columns = [...s.rowsByColumn.keys()].sort((a, b) => a - b);
    return [s.rowsByColumn.get(columns[0])!, s.rowsByColumn.get(columns.at(-1)!)!];
  };
  const [upLeft, upRight] = ends(up);
  const [downLeft, downRight] = ends(down);
  expect(upLeft).toBeGreaterThan(upRight + 100);
  expect(downLeft).toBeLessThan(downRight - 50);
  // The rising series (y 10..108) starts below the falling one (y 110..61) and ends above it.
  expect(upLeft).toBeGreaterThan(downLeft);
  expect(upRight).toBeLessThan(downRight);
  // A third colour is not there; text and axes are.
  expect(trace(img, PALETTE[2]).count).toBe(0);
  expect(trace(img, [30, 30, 30]).count).toBeGreaterThan(500);
});

test('a constant series, a single point and non-finite points still make a valid image', () => {
  const file = path.join(dir, 'flat.png');
  plotLines(
    {
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
  const img = decodePng(fs.readFileSync(file));
  expect([img.width, img.height]).toEqual([800, 480]);
  for (const color of PALETTE.slice(0, 3)) expect(trace(img, color).count).toBeGreaterThan(0);
});

test('rejects a spec without series', () => {
  expect(() => plotLines({ series: [] }, path.join(dir, 'none.png'))).toThrow(/series/);
  expect(() => plotLines({ series: [{ name: 'x', points: [[1, 2, 3]] }] }, path.join(dir, 'bad.png'))).toThrow(/pairs/);
});

test('ticks are round numbers that cover the range', () => {
  expect(niceTicks(0, 10)).toMatchObject({ ticks: [0, 2, 4, 6, 8, 10], step: 2 });
  const t = niceTicks(123.4, 187.9);
  expect(t.min).toBeLessThanOrEqual(123.4);
  expect(t.max).toBeGreaterThanOrEqual(187.9);
  expect(t.step).toBe(20);
  expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
});
