#!/usr/bin/env node
// Copies a checkpoint with fields of its config changed: the restoration-time ones (outputBlend,
// fastBetas, ddimFastSteps, …) can be chosen after training without touching the weights. The new
// config is checked by the core as any other, and the copy opened once before it is kept.
//   usage: node scripts/set-config.js IN.safetensors OUT.safetensors field=JSON ...
//   e.g.   node scripts/set-config.js run/weights.safetensors models/speech.safetensors outputBlend=0.4
const fs = require('node:fs');
const { loadModel } = require('../dist');
const { validateConfig } = require('../dist/config');

async function main([input, output, ...settings]) {
  if (!input || !output || settings.length === 0) throw new Error('usage: node scripts/set-config.js IN OUT field=JSON ...');
  const file = fs.readFileSync(input);
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString('utf8'));
  const config = JSON.parse(header.__metadata__.config);
  for (const s of settings) {
    const at = s.indexOf('=');
    if (at < 1 || !(s.slice(0, at) in config)) throw new Error(`'${s}' is not field=JSON of a config field`);
    config[s.slice(0, at)] = JSON.parse(s.slice(at + 1));
  }
  validateConfig(config);
  header.__metadata__.config = JSON.stringify(config);
  // The header is padded with spaces to a multiple of 8 bytes, as safetensors writers do.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(output, Buffer.concat([size, Buffer.from(json), file.subarray(8 + length)]));
  await (await loadModel(output, { threads: 1 })).dispose();
  console.log(`wrote ${output}: ${settings.join(', ')}`);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e.message);
  process.exit(1);
});
