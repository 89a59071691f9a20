/**
 * Restores one noisy WAV file with a trained speech model:
 *
 *   node restore-file.js --model speech.safetensors [--steps 6] noisy.wav restored.wav
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { decodeWav, encodeWav, loadModel } from 'restoregrad';

/** Restores `input` into `output` (16-bit PCM at the input's rate) and returns the number of samples. */
export async function restoreFile(modelPath: string, input: string, output: string, steps = 6): Promise<number> {
  const model = await loadModel(modelPath);
  try {
    const { samples, sampleRate } = decodeWav(await readFile(input));
    // sampleRate makes a file at another rate fail with E_INPUT instead of being restored wrongly.
    const restored = await model.restore(samples, { steps, sampleRate, seed: 0 });
    await writeFile(output, encodeWav(restored, sampleRate));
    return restored.length;
  } finally {
    await model.dispose();
  }
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    options: { model: { type: 'string' }, steps: { type: 'string', default: '6' } },
    allowPositionals: true,
  });
  if (!values.model || positionals.length !== 2) {
    console.error('usage: restore-file --model MODEL.safetensors [--steps 6] INPUT.wav OUTPUT.wav');
    process.exit(2);
  }
  restoreFile(values.model, positionals[0], positionals[1], Number(values.steps)).then(
    (n) => console.log(`restored ${n} samples into ${positionals[1]}`),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
