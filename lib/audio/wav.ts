/**
 * WAV files: PCM 8/16/24/32-bit and IEEE float 32/64, read as mono Float32Array in [-1, 1];
 * written as 16-bit PCM or 32-bit float.
 */
import { InputError } from '../errors';

/** A decoded mono signal. */
export interface Audio {
  /** Samples in [-1, 1] (the channels averaged when decoded with `mixdown`). */
  samples: Float32Array;
  /** Samples per second. */
  sampleRate: number;
}

/** Decodes a WAV file. Multi-channel audio is refused unless `mixdown` averages the channels. */
export function decodeWav(buf: Buffer, options: { mixdown?: boolean; name?: string } = {}): Audio {
  const name = options.name ?? 'input';
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new InputError(`${name} is not a WAV file (no RIFF/WAVE header)`);
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new InputError(`${name}: truncated fmt chunk`);
      let format = buf.readUInt16LE(body);
      if (format === 0xfffe && size >= 26) format = buf.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE
      fmt = { format, channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new InputError(`${name}: data chunk before fmt chunk`);
      const end = Math.min(buf.length, body + size); // tolerate a size field larger than the file
      return { samples: decodeSamples(buf.subarray(body, end), fmt, name, options.mixdown ?? false), sampleRate: fmt.rate };
    }
    offset = body + size + (size % 2);
  }
  throw new InputError(`${name}: no data chunk`);
}

function decodeSamples(
  data: Buffer,
  fmt: { format: number; channels: number; bits: number },
  name: string,
  mixdown: boolean,
): Float32Array {
  const { format, channels, bits } = fmt;
  if (channels < 1) throw new InputError(`${name}: zero channels`);
  if (channels > 1 && !mixdown) throw new InputError(`${name} has ${channels} channels; the model takes mono (mix down first)`);
  const bytes = bits / 8;
  const read: ((o: number) => number) | undefined =
    format === 1 && bits === 16
      ? (o) => data.readInt16LE(o) / 32768
      : format === 1 && bits === 24
        ? (o) => data.readIntLE(o, 3) / 8388608
        : format === 1 && bits === 32
          ? (o) => data.readInt32LE(o) / 2147483648
          : format === 1 && bits === 8
            ? (o) => (data.readUInt8(o) - 128) / 128
            : format === 3 && bits === 32
              ? (o) => data.readFloatLE(o)
              : format === 3 && bits === 64
                ? (o) => data.readDoubleLE(o)
                : undefined;
  if (!read) throw new InputError(`${name}: unsupported WAV encoding (format ${format}, ${bits} bits)`);
  const frames = Math.floor(data.length / (bytes * channels));
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read((i * channels + c) * bytes);
    out[i] = sum / channels;
  }
  return out;
}

/** Encodes mono samples as WAV: 16-bit PCM (clipped to [-1, 1]) or 32-bit float. */
export function encodeWav(samples: Float32Array, sampleRate: number, encoding: 'pcm16' | 'float32' = 'pcm16'): Buffer {
  const bytes = encoding === 'pcm16' ? 2 : 4;
  const buf = Buffer.alloc(44 + samples.length * bytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + samples.length * bytes, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(encoding === 'pcm16' ? 1 : 3, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * bytes, 28);
  buf.writeUInt16LE(bytes, 32);
  buf.writeUInt16LE(bytes * 8, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(samples.length * bytes, 40);
  for (let i = 0; i < samples.length; i++) {
    if (encoding === 'pcm16') buf.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), 44 + 2 * i);
    else buf.writeFloatLE(samples[i], 44 + 4 * i);
  }
  return buf;
}
