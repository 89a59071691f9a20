/**
 * Scale-invariant signal-to-distortion ratio (Le Roux et al., 2019), in dB, computed in float64:
 * 10·log10(‖α s‖² / ‖α s − ŝ‖²) with α = ⟨ŝ, s⟩ / ‖s‖², both signals made zero-mean first.
 * A scaled copy of the reference scores +Infinity; an estimate with nothing of it, −Infinity.
 */
import { InputError } from '../errors';
import { checkPair, type Samples } from './signal-pair';

/** Scale-invariant SDR of `estimate` against `reference` in dB (Le Roux et al., 2019). */
export function siSdr(reference: Samples, estimate: Samples): number {
  const [s, e] = checkPair(reference, estimate, ['reference', 'estimate'], 'SI-SDR');
  const n = s.length;
  let ms = 0;
  let me = 0;
  for (let i = 0; i < n; i++) {
    ms += s[i];
    me += e[i];
  }
  ms /= n;
  me /= n;
  let dot = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    dot += (e[i] - me) * (s[i] - ms);
    energy += (s[i] - ms) ** 2;
  }
  if (energy === 0) throw new InputError('SI-SDR is undefined for a silent reference (constant after removing its mean)');
  const alpha = dot / energy;
  let target = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const t = alpha * (s[i] - ms);
    target += t * t;
    noise += (t - (e[i] - me)) ** 2;
  }
  if (target === 0) return Number.NEGATIVE_INFINITY;
  return 10 * Math.log10(target / noise);
}
