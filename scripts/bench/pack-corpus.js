#!/usr/bin/env node
// Packs a corpus made by scripts/prepare-data.sh into the raw files rg_train reads, small enough to
// carry to another machine: 16-bit PCM of training speech (voices taken in turn) and noise, and the
// first test mixtures with their lengths and names.
//   usage: node scripts/bench/pack-corpus.js CORPUS OUT [speech-minutes=18] [noise-minutes=6] [test-count=50]
const fs = require('node:fs');
const path = require('node:path');
const { listWavFiles } = require('../../dist/audio/files');
const { decodeWav } = require('../../dist/audio/wav');

const [corpus, out, speechMin = '18', noiseMin = '6', testCount = '50'] = process.argv.slice(2);
if (!corpus || !out) {
  console.error('usage: node scripts/bench/pack-corpus.js CORPUS OUT [speech-minutes] [noise-minutes] [test-count]');
  process.exit(2);
}
const RATE = 16000;

function read(file) {
  const a = decodeWav(fs.readFileSync(file), { name: file });
  if (a.sampleRate !== RATE) throw new Error(`${file} is ${a.sampleRate} Hz`);
  return a.samples;
}

function pcm16(chunks) {
  const n = chunks.reduce((s, c) => s + c.length, 0);
  const buf = Buffer.alloc(2 * n);
  let o = 0;
  for (const c of chunks) for (const v of c) buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), 2 * o++);
  return buf;
}

// Up to `limit` samples, one file from each folder in turn, so every voice (or source) is present.
function interleave(dirs, limit) {
  const queues = dirs.map((d) => listWavFiles(d));
  const chunks = [];
  let total = 0;
  while (total < limit && queues.some((q) => q.length)) {
    for (const q of queues) {
      const f = q.shift();
      if (!f || total >= limit) continue;
      const x = read(f);
      chunks.push(x);
      total += x.length;
    }
  }
  return chunks;
}

fs.mkdirSync(out, { recursive: true });
const voices = fs.readdirSync(path.join(corpus, 'speech/train')).map((v) => path.join(corpus, 'speech/train', v));
fs.writeFileSync(path.join(out, 'speech.i16'), pcm16(interleave(voices, Number(speechMin) * 60 * RATE)));
fs.writeFileSync(path.join(out, 'noise.i16'), pcm16(interleave([path.join(corpus, 'noise/train')], Number(noiseMin) * 60 * RATE)));
const names = fs.readdirSync(path.join(corpus, 'testset/clean')).sort().slice(0, Number(testCount));
const clean = names.map((n) => read(path.join(corpus, 'testset/clean', n)));
const noisy = names.map((n) => read(path.join(corpus, 'testset/noisy', n)));
fs.writeFileSync(path.join(out, 'test-clean.i16'), pcm16(clean));
fs.writeFileSync(path.join(out, 'test-noisy.i16'), pcm16(noisy));
fs.writeFileSync(path.join(out, 'test-lengths.txt'), `${clean.map((c) => c.length).join('\n')}\n`);
fs.writeFileSync(path.join(out, 'test-names.txt'), `${names.join('\n')}\n`);
console.log(`packed ${voices.length} voices, ${names.length} test mixtures into ${out}`);
