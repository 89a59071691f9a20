/**
 * Long signals are restored as overlapping chunks of one fixed length, cross-faded back together:
 * memory stays bounded whatever the input's length, and chunks of different inputs share batches.
 */

/** Where each chunk of a signal starts. */
export interface ChunkPlan {
  /** Samples per chunk (the whole signal when it is not longer). */
  length: number;
  /** Start of each chunk; the last one ends exactly at the signal's end. */
  starts: number[];
}

/**
 * Chunks of `chunk` samples overlapping by at least `overlap`. A signal no longer than `chunk` is
 * one chunk of its own length.
 */
export function planChunks(total: number, chunk: number, overlap: number): ChunkPlan {
  if (total <= chunk) return { length: total, starts: [0] };
  const stride = chunk - overlap;
  const count = Math.ceil((total - overlap) / stride);
  const starts = Array.from({ length: count - 1 }, (_, k) => k * stride);
  starts.push(total - chunk);
  return { length: chunk, starts };
}

/** Copies each chunk of `signal` out of it. */
export function cutChunks(signal: Float32Array, plan: ChunkPlan): Float32Array[] {
  return plan.starts.map((s) => signal.slice(s, s + plan.length));
}

/**
 * Joins restored chunks: each new chunk fades in linearly over the part it shares with what is
 * already joined, so no sample jumps at a seam.
 */
export function joinChunks(chunks: readonly Float32Array[], plan: ChunkPlan, total: number): Float32Array {
  const out = new Float32Array(total);
  let end = 0;
  for (const [k, chunk] of chunks.entries()) {
    const start = plan.starts[k];
    const shared = Math.max(0, end - start);
    for (let i = 0; i < shared; i++) {
      const w = (i + 0.5) / shared;
      out[start + i] = (1 - w) * out[start + i] + w * chunk[i];
    }
    out.set(chunk.subarray(shared), start + shared);
    end = start + plan.length;
  }
  return out;
}
