// libFuzzer target for the safetensors parser. Kept out of native/tests/*.cpp so the unit-test
// build does not pick it up; scripts/fuzz.sh builds and runs it (seeds: test/fuzz/corpus/safetensors/).
// Build by hand, for example:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Inative/core \
//     native/tests/fuzz/fuzz_safetensors.cpp native/core/safetensors.cpp native/core/json.cpp \
//     $(torch include and link flags) -o fuzz_safetensors
// The JSON parser on its own has its target, fuzz_json.cpp.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "safetensors.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rg::SafetensorsFile f;
  try {
    f = rg::parse_safetensors(data, size);
  } catch (const rg::Error& e) {
    // Rejection is the expected outcome for almost every input, always as a checkpoint error.
    if (e.code() != rg::kCheckpoint) __builtin_trap();
    return 0;
  }
  // Accepted files hold exactly what their headers promised...
  for (const auto& [name, t] : f.tensors) {
    if (!t.is_contiguous() || !t.device().is_cpu()) __builtin_trap();
  }
  // ...and survive a write and a read unchanged: whatever the reader accepts, the writer can
  // store (names and metadata are valid UTF-8, dtypes supported), and the canonical layout the
  // writer chooses reads back bit for bit.
  const std::string path = rgfuzz::scratch_dir() + "/roundtrip.safetensors";
  rg::write_safetensors(path, f.tensors, f.metadata);
  const rg::SafetensorsFile back = rg::read_safetensors(path);
  ::unlink(path.c_str());
  if (back.metadata != f.metadata || back.tensors.size() != f.tensors.size()) __builtin_trap();
  for (const auto& [name, t] : f.tensors) {
    const auto it = back.tensors.find(name);
    if (it == back.tensors.end() || !rgfuzz::bits_equal(t, it->second)) __builtin_trap();
  }
  return 0;
}
