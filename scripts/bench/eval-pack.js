#!/usr/bin/env node
// Scores the noisy test set of a packed corpus (scripts/bench/pack-corpus.js) and, given a model,
// its restorations (default: at 6 and 3 steps): mean SI-SDR, segmental SNR, STOI and ESTOI as JSON.
// SCHEDULES is a JSON list of step counts or β lists. A one-β list such as [0.2] is the network's
// one-step estimate of the clean signal from that noise level: what the network itself has learnt,
// apart from the sampler.
//   usage: node scripts/bench/eval-pack.js PACK [MODEL.safetensors] [SCHEDULES, e.g. '[6,3,[0.2]]']
const fs = require('node:fs');
const path = require('node:path');
const { loadModel } = require('../../dist');
const { meanScores, score } = require('../../dist/metrics');

const [pack, modelPath, schedules = '[6,3]'] = process.argv.slice(2);
const pcm = (f) => {
  const b = fs.readFileSync(path.join(pack, f));
  return Float32Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(2 * i) / 32768);
};
const lengths = fs.readFileSync(path.join(pack, 'test-lengths.txt'), 'utf8').trim().split('\n').map(Number);
const split = (x) => {
  const parts = [];
  for (let o = 0, i = 0; i < lengths.length; o += lengths[i++]) parts.push(x.subarray(o, o + lengths[i]));
  return parts;
};
const clean = split(pcm('test-clean.i16'));
const noisy = split(pcm('test-noisy.i16'));

(async () => {
  const result = { mixtures: lengths.length, noisy: meanScores(noisy.map((x, i) => score(clean[i], x, 16000))) };
  if (modelPath) {
    const model = await loadModel(modelPath);
    result.model = { path: modelPath, step: model.step, prior: model.config.prior };
    for (const steps of JSON.parse(schedules)) {
      const restored = await model.restore(noisy, { steps, seed: 0 });
      result[`restored${JSON.stringify(steps)}`] = meanScores(restored.map((x, i) => score(clean[i], x, 16000)));
    }
    await model.dispose();
  }
  console.log(JSON.stringify(result, null, 2));
})();
