#include "threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

namespace rg {

void set_threads(int threads) {
  at::set_num_threads(threads);
  // Looked up, not linked: the BLAS behind LibTorch differs between machines and may not be
  // OpenBLAS. Its setting is process-wide in a pthread build, so it is written only on a change.
  using GetThreads = int (*)();
  using SetThreads = void (*)(int);
  static const auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  static const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (get && set && get() != threads) set(threads);
}

}  // namespace rg
