#include "threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

namespace rg {

void set_threads(int threads) {
  at::set_num_threads(threads);
  // Looked up, not linked: the BLAS behind LibTorch differs between machines and may not be OpenBLAS.
  using SetThreads = void (*)(int);
  static const auto openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (openblas) openblas(threads);
}

}  // namespace rg
