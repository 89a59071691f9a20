#include <ATen/Context.h>

#include <cstdlib>
#include <cstring>

#include "test.h"

namespace rgtest {

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

static int g_failures = 0;

void fail(const char* file, int line, const std::string& what) {
  ++g_failures;
  std::cerr << "  " << file << ":" << line << ": " << what << "\n";
}

}  // namespace rgtest

// Usage: rg_tests [name-substring]. RG_DEVICE=cuda runs the device-aware tests on CUDA.
int main(int argc, char** argv) {
  // Same seed, same device, same bits: also on CUDA.
  at::globalContext().setDeterministicCuDNN(true);
  at::globalContext().setBenchmarkCuDNN(false);
  // Full float32 on GPUs too: TF32 would change results with the batch's convolution algorithm.
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  int passed = 0, failed = 0;
  for (auto& c : rgtest::registry()) {
    if (argc > 1 && !std::strstr(c.name, argv[1])) continue;
    const int before = rgtest::g_failures;
    try {
      c.fn();
    } catch (const std::exception& e) {
      rgtest::fail(c.name, 0, std::string("uncaught exception: ") + e.what());
    }
    const bool ok = rgtest::g_failures == before;
    (ok ? passed : failed)++;
    std::cout << (ok ? "ok   " : "FAIL ") << c.name << std::endl;
  }
  std::cout << passed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
