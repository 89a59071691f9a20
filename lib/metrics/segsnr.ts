/**
 * Segmental SNR: the mean over frames of each frame's SNR in dB, clamped so that silent or
 * perfectly reproduced frames cannot dominate the mean.
 */
import { InputError } from '../errors';
import { checkInt, checkKeys, checkNumber } from '../validate';
import { checkPair, type Samples } from './signal-pair';

/** Options of {@link segmentalSnr}; frame sizes are in samples. */
export interface SegmentalSnrOptions {
  /** Samples per frame (default 512: 32 ms at 16 kHz). */
  frameLength?: number;
  /** Samples between frame starts (default 256: half a frame). */
  hop?: number;
  /** Lower clamp of a frame's SNR in dB (default −10). */
  minDb?: number;
  /** Upper clamp of a frame's SNR in dB (default 35). */
  maxDb?: number;
}

/**
 * Segmental SNR of `estimate` against `clean`, in dB: the mean over frames of
 * clamp(10·log10(Σ clean² / Σ (clean − estimate)²), minDb, maxDb), in float64.
 *
 * Frames start at 0, hop, 2·hop, ... and are whole: trailing samples that do not fill a frame are
 * not scored, and a signal shorter than one frame is scored as a single frame. A frame with no
 * error counts as maxDb, a silent clean frame with some error as minDb. The defaults suit 16 kHz
 * (512/256 samples); scale frameLength and hop with the sample rate.
 *
 * @throws InputError for signals that are empty, of different lengths or not finite, or bad options
 */
export function segmentalSnr(clean: Samples, estimate: Samples, options?: SegmentalSnrOptions): number {
  checkKeys(options, ['frameLength', 'hop', 'minDb', 'maxDb'], 'segmental SNR options');
  const [s, e] = checkPair(clean, estimate, ['clean', 'estimate'], 'segmental SNR');
  const frameLength = checkInt(options?.frameLength, 'segmental SNR frameLength', 1, Number.MAX_SAFE_INTEGER, 512);
  const hop = checkInt(options?.hop, 'segmental SNR hop', 1, Number.MAX_SAFE_INTEGER, 256);
  const minDb = checkNumber(options?.minDb, 'segmental SNR minDb', -Number.MAX_VALUE, Number.MAX_VALUE, -10);
  const maxDb = checkNumber(options?.maxDb, 'segmental SNR maxDb', -Number.MAX_VALUE, Number.MAX_VALUE, 35);
  if (!(minDb < maxDb)) throw new InputError(`segmental SNR minDb (${minDb}) must be below maxDb (${maxDb})`);
  const length = Math.min(frameLength, s.length);
  const frames = Math.floor((s.length - length) / hop) + 1;
  let total = 0;
  for (let f = 0; f < frames; f++) {
    let signal = 0;
    let noise = 0;
    for (let i = f * hop, end = i + length; i < end; i++) {
      const d = s[i] - e[i];
      signal += s[i] * s[i];
      noise += d * d;
    }
    // signal/0 is +Infinity (or NaN when both are 0): both mean a perfect frame.
    const db = noise === 0 ? maxDb : 10 * Math.log10(signal / noise);
    total += Math.min(maxDb, Math.max(minDb, db));
  }
  return total / frames;
}
