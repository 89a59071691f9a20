import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { addGaussianNoise } from '../lib/image/degrade';
import { type Image, withChannels } from '../lib/image/image';
import { readImage, writeImage } from '../lib/image/io';

const run = promisify(execFile);
const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-image-model-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const at = (...parts: string[]) => path.join(tmp, ...parts);
const env = { ...process.env, OMP_NUM_THREADS: '1' };

function picture(width: number, height: number, shift: number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set([(x * 255) / width, (y * 255) / height, (x + y + shift) % 12 < 6 ? 210 : 30], i * 3);
  }
  return { data, width, height, channels: 3 };
}

beforeAll(async () => {
  for (const sub of ['photos', 'pairs/clean', 'pairs/degraded', 'test/clean', 'test/noisy']) fs.mkdirSync(at(sub), { recursive: true });
  const images: [string, Image][] = [
    ['a.png', picture(40, 28, 0)],
    ['b.webp', picture(33, 21, 3)],
    ['c.png', withChannels(picture(24, 18, 7), 1)],
  ];
  for (const [i, [name, image]] of images.entries()) {
    await writeImage(at('photos', name), image);
    await writeImage(at('pairs/clean', name), image);
    await writeImage(at('pairs/degraded', name), addGaussianNoise(image, 25, i));
    await writeImage(at('test/clean', name), image);
    await writeImage(at('test/noisy', name), addGaussianNoise(image, 25, 10 + i));
  }
});

test('train an image model, resume it, restore a folder of images and score it', async () => {
  const model = at('tiny.safetensors');
  const train = ['train', '--preset', 'image-tiny', '--data', at('photos'), '--degradation', 'noise:25', '--batch', '2', '--out', model];
  await run('node', [cli, ...train, '--steps', '2'], { env });
  const resumed = await run('node', [cli, ...train, '--steps', '3'], { env });
  expect(resumed.stderr).toMatch(/resuming .* at step 2/);
  await run(
    'node',
    [cli, 'train', '--preset', 'image-tiny', '--data', at('pairs'), '--batch', '2', '--steps', '1', '--out', at('pairs.safetensors')],
    { env },
  );

  const out = at('restored');
  const restored = await run('node', [cli, 'restore', '--model', model, '--out', out, '--steps', '2', '--workers', '1', at('test/noisy')], {
    env,
  });
  expect(restored.stderr).toMatch(/restoring .* 3\/3/);
  expect(fs.readdirSync(out).sort()).toEqual(['a.png', 'b.webp', 'c.png']);
  for (const name of ['a.png', 'b.webp', 'c.png']) {
    const [input, output] = [await readImage(at('test/noisy', name)), await readImage(path.join(out, name))];
    expect([output.width, output.height, output.channels]).toEqual([input.width, input.height, input.channels]);
  }
  const single = await run(
    'node',
    [cli, 'restore', '--model', model, '--out', at('one'), '--steps', '1', '--stride', '4', at('test/noisy/a.png')],
    { env },
  );
  expect(single.stderr).toMatch(/1\/1/);
  expect(fs.readdirSync(at('one'))).toEqual(['a.png']);

  const scores = JSON.parse(
    (await run('node', [cli, 'eval', '--clean', at('test/clean'), '--restored', out, '--noisy', at('test/noisy'), '--json'])).stdout,
  );
  expect(scores.files).toHaveLength(3);
  expect(Number.isFinite(scores.mean.restored.psnr)).toBe(true);
});

test('bad image flags exit 1 with the error code and a precise message', async () => {
  const fail = (args: string[]) =>
    run('node', [cli, ...args], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
  const base = ['train', '--preset', 'image-tiny', '--steps', '1', '--out', at('x.safetensors')];
  let r = await fail([...base, '--data', at('photos'), '--degradation', 'blur']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/E_INPUT: --degradation must be noise:SIGMA .* or rain, got 'blur'/);
  r = await fail([...base, '--data', at('photos'), '--degradation', 'noise:999']);
  expect(r.stderr).toMatch(/E_INPUT: sigma must be a number in \[0, 255\]/);
  r = await fail([...base, '--data', at('pairs'), '--degradation', 'rain']);
  expect(r.stderr).toMatch(/clean\/ \+ degraded\/ pairs: --degradation is not used/);
  r = await fail([...base, '--data', at('empty-folder-that-is-missing')]);
  expect(r.stderr).toMatch(/E_IO: cannot read folder/);
  expect(fs.existsSync(at('x.safetensors'))).toBe(false);
  r = await fail(['restore', '--model', at('tiny.safetensors'), '--out', at('none'), at('pairs/clean/../..', 'tiny.safetensors')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/E_IO: .*not a readable image/);
  r = await fail(['restore', '--model', at('tiny.safetensors'), '--out', at('none'), '--steps', '0', at('test/noisy')]);
  expect(r.stderr).toMatch(/E_INPUT: steps must be an integer in \[1, 1000\]/);
});
