/**
 * Scale-invariant signal-to-distortion ratio (Le Roux et al., 2019), in dB, computed in float64:
 * 10·log10(‖α s‖² / ‖α s − ŝ‖²) with α = ⟨ŝ, s⟩ / ‖s‖², both signals made zero-mean first.
 */
import { InputError } from '../errors';

export function siSdr(reference: Float32Array, estimate: Float32Array): number {
  if (reference.length !== estimate.length || reference.length === 0)
    throw new InputError(`SI-SDR needs two signals of equal, non-zero length (got ${reference.length} and ${estimate.length})`);
  const n = reference.length;
  let ms = 0;
  let me = 0;
  for (let i = 0; i < n; i++) {
    ms += reference[i];
    me += estimate[i];
  }
  ms /= n;
  me /= n;
  let dot = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    dot += (estimate[i] - me) * (reference[i] - ms);
    energy += (reference[i] - ms) ** 2;
  }
  if (energy === 0) throw new InputError('SI-SDR is undefined for a silent reference');
  const alpha = dot / energy;
  let target = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const t = alpha * (reference[i] - ms);
    target += t * t;
    noise += (t - (estimate[i] - me)) ** 2;
  }
  return 10 * Math.log10(target / noise);
}
