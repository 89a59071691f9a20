/**
 * Radix-2 FFTs in float64: an in-place complex transform and a real-input transform that runs a
 * half-size complex one on the even/odd samples packed as real/imaginary parts.
 */

/** An in-place complex FFT of one power-of-two size; tables are built once per instance. */
export class ComplexFft {
  readonly size: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;

  /** @param size a power of two, at least 1 */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || (size & (size - 1)) !== 0)
      throw new RangeError(`FFT size must be a power of two, got ${size}`);
    this.size = size;
    const half = size >> 1;
    // Each twiddle is computed directly rather than by recurrence, so its error stays at one rounding.
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const angle = (2 * Math.PI * k) / size;
      this.cos[k] = Math.cos(angle);
      this.sin[k] = Math.sin(angle);
    }
    this.reversed = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0, v = i; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
      this.reversed[i] = r;
    }
  }

  /** Replaces (re, im) by its forward transform X[k] = Σ x[n]·e^(−2πikn/N). */
  forward(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i];
      if (j > i) {
        const tr = re[i];
        re[i] = re[j];
        re[j] = tr;
        const ti = im[i];
        im[i] = im[j];
        im[j] = ti;
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const stride = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * stride];
          const wi = -this.sin[k * stride];
          const a = start + k;
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/** A forward FFT of real input of one power-of-two size (at least 2), giving bins 0..size/2. */
export class RealFft {
  readonly size: number;
  private readonly half: ComplexFft;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  /** @param size a power of two, at least 2 */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0)
      throw new RangeError(`real FFT size must be a power of two ≥ 2, got ${size}`);
    this.size = size;
    const m = size >> 1;
    this.half = new ComplexFft(m);
    this.re = new Float64Array(m);
    this.im = new Float64Array(m);
    this.cos = new Float64Array(m + 1);
    this.sin = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      const angle = (2 * Math.PI * k) / size;
      this.cos[k] = Math.cos(angle);
      this.sin[k] = Math.sin(angle);
    }
  }

  /**
   * Transforms `input` (zero-padded to `size` when shorter) and writes the size/2 + 1 bins to
   * `outRe`/`outIm`.
   */
  forward(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const m = this.size >> 1;
    if (input.length > this.size) throw new RangeError(`input of ${input.length} samples is longer than the FFT size ${this.size}`);
    const { re, im } = this;
    for (let i = 0; i < m; i++) {
      const e = 2 * i;
      re[i] = e < input.length ? input[e] : 0;
      im[i] = e + 1 < input.length ? input[e + 1] : 0;
    }
    this.half.forward(re, im);
    // Z = FFT(even + i·odd); E[k] = (Z[k] + conj Z[m−k]) / 2, O[k] = (Z[k] − conj Z[m−k]) / 2i,
    // X[k] = E[k] + e^(−2πik/N)·O[k].
    for (let k = 0; k <= m; k++) {
      const a = k % m;
      const b = (m - k) % m;
      const zr = re[a];
      const zi = im[a];
      const cr = re[b];
      const ci = -im[b];
      const er = 0.5 * (zr + cr);
      const ei = 0.5 * (zi + ci);
      const or = 0.5 * (zi - ci);
      const oi = -0.5 * (zr - cr);
      const wr = this.cos[k];
      const wi = -this.sin[k];
      outRe[k] = er + (or * wr - oi * wi);
      outIm[k] = ei + (or * wi + oi * wr);
    }
  }
}
