#pragma once

namespace rg {

// Sets the intra-op threads of the calling job: LibTorch's, and OpenBLAS's when the process has
// it. A pthread build of OpenBLAS keeps its own pool, sized from the cores, which
// `at::set_num_threads` does not reach: two one-thread models on worker threads then ran four
// GEMM threads on two cores. That pool is process-wide: models with different thread counts in
// one process take turns setting it, job by job.
void set_threads(int threads);

}  // namespace rg
