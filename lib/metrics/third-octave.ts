/**
 * The one-third octave band matrix of STOI (pystoi's `thirdoct`), as bin ranges of an FFT.
 */

/** One band: FFT bins lo (inclusive) to hi (exclusive). */
export interface BinRange {
  readonly lo: number;
  readonly hi: number;
}

function nearestBin(frequency: number, binHz: number, bins: number): number {
  // argmin of the squared distance; the first bin wins a tie, as with numpy's argmin.
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let k = 0; k < bins; k++) {
    const d = (k * binHz - frequency) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

/**
 * The bands k = 0..numBands−1 around minFreq·2^(k/3): edges minFreq·2^((2k∓1)/6), each moved to
 * the nearest of the nfft/2 + 1 bins (bin k at k·fs/nfft Hz).
 */
export function thirdOctaveBands(fs: number, nfft: number, numBands: number, minFreq: number): BinRange[] {
  const binHz = fs / nfft;
  const bins = nfft / 2 + 1;
  const bands: BinRange[] = [];
  for (let k = 0; k < numBands; k++) {
    const low = minFreq * 2 ** ((2 * k - 1) / 6);
    const high = minFreq * 2 ** ((2 * k + 1) / 6);
    bands.push({ lo: nearestBin(low, binHz, bins), hi: nearestBin(high, binHz, bins) });
  }
  return bands;
}
