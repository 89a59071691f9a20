/**
 * examples/train.ts, restore-file.ts and images.ts run as a user would run them (compiled,
 * importing the built package), on tiny presets and a few steps: training checkpoints and resumes,
 * restoring writes files of the input's length or size. http-service.ts has its own suite.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { decodeWav, encodeWav } from '../lib/audio/wav';
import { readImage, writeImage } from '../lib/image/io';
import { loadModel } from '../lib/model';
import { consumerDir, runNode, transpileTo } from './consumer';
import { tonePair } from './helpers';

const dir = consumerDir('rg-examples-');
const example = (name: string) => transpileTo(dir, `${name}.js`, fs.readFileSync(path.join(__dirname, `../examples/${name}.ts`), 'utf8'));
const at = (...parts: string[]) => path.join(dir, ...parts);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('train.ts trains, checkpoints and resumes; restore-file.ts restores a WAV with the result', async () => {
  for (const sub of ['clean', 'noisy']) fs.mkdirSync(at('corpus', sub), { recursive: true });
  for (let i = 0; i < 3; i++) {
    const pair = tonePair(4000, i);
    fs.writeFileSync(at('corpus/clean', `${i}.wav`), encodeWav(pair.clean, 16000));
    fs.writeFileSync(at('corpus/noisy', `${i}.wav`), encodeWav(pair.degraded, 16000));
  }
  const train = example('train');
  const args = ['--data', 'corpus', '--out', 'speech.safetensors', '--preset', 'speech-tiny'];
  expect((await runNode(train, [...args, '--steps', '3'], dir)).stdout).toMatch(/speech\.safetensors: 3 steps/);
  expect((await runNode(train, [...args, '--steps', '2'], dir)).stdout).toMatch(/speech\.safetensors: 5 steps/);
  const model = await loadModel(at('speech.safetensors'));
  expect(model.step).toBe(5);
  await model.dispose();

  const restore = example('restore-file');
  const { stdout } = await runNode(restore, ['--model', 'speech.safetensors', '--steps', '3', 'corpus/noisy/1.wav', 'restored.wav'], dir);
  expect(stdout).toMatch(/restored 4000 samples/);
  const restored = decodeWav(fs.readFileSync(at('restored.wav')));
  expect([restored.samples.length, restored.sampleRate]).toEqual([4000, 16000]);
  await expect(runNode(restore, ['--model', 'speech.safetensors', 'corpus/noisy/1.wav'], dir)).rejects.toMatchObject({ code: 2 });
});

test('images.ts trains on noisy photos, restores an image and writes it side by side', async () => {
  fs.mkdirSync(at('photos'));
  for (let i = 0; i < 2; i++) {
    const data = Uint8Array.from({ length: 24 * 20 * 3 }, (_, k) => (k * (7 + i)) % 256);
    await writeImage(at('photos', `${i}.png`), { data, width: 24, height: 20, channels: 3 });
  }
  const images = example('images');
  const args = ['--photos', 'photos', '--model', 'image.safetensors', '--steps', '2', '--preset', 'image-tiny', 'photos/1.png', 'out.png'];
  expect((await runNode(images, args, dir)).stdout).toMatch(/restored 24×20 into out\.png/);
  const out = await readImage(at('out.png'));
  expect([out.width, out.height, out.channels]).toEqual([24, 20, 3]);
  expect((await readImage(at('out.side.png'))).width).toBeGreaterThan(48);
});
