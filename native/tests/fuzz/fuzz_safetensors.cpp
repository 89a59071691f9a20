// libFuzzer target for the safetensors parser (and through it the JSON parser). Kept out of
// native/tests/*.cpp so the unit-test build does not pick it up. Build, for example:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Inative/core \
//     native/tests/fuzz/fuzz_safetensors.cpp native/core/safetensors.cpp native/core/json.cpp \
//     $(torch include and link flags) -o fuzz_safetensors
// A seed corpus of valid files speeds it up: any file written by write_safetensors.
#include <cstddef>
#include <cstdint>

#include "json.h"
#include "safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    rg::SafetensorsFile f = rg::parse_safetensors(data, size);
    // Accepted files must hold exactly what their headers promised.
    for (const auto& [name, t] : f.tensors) {
      if (!t.is_contiguous() || !t.device().is_cpu()) __builtin_trap();
    }
  } catch (const rg::Error&) {
    // Rejection is the expected outcome for almost every input.
  }
  // The JSON parser on its own, with the default depth.
  rg::json::Value v;
  try {
    v = rg::json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const rg::Error&) {
    return 0;
  }
  // Whatever parses must dump (an escaping exception is a finding) and parse back unchanged.
  if (!(rg::json::parse(rg::json::dump(v)) == v)) __builtin_trap();
  return 0;
}
