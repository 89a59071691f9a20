#include <ATen/Parallel.h>
#include <dlfcn.h>

#include "test.h"
#include "threads.h"

TEST_CASE("threads: set_threads sets LibTorch's intra-op threads and OpenBLAS's own pool") {
  using GetThreads = int (*)();
  const auto openblas = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  const int before = at::get_num_threads();
  for (const int n : {1, 2}) {
    rg::set_threads(n);
    CHECK(at::get_num_threads() == n);
    if (openblas) CHECK(openblas() == n);
  }
  rg::set_threads(before);
}
