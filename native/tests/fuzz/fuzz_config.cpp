// libFuzzer target for model configurations read from JSON text (seeds: test/fuzz/corpus/config/,
// dictionary: config.dict). Needs no LibTorch: scripts/fuzz.sh builds it from native/core/config.cpp
// and json.cpp alone.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.h"
#include "json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rg::json::Value v;
  try {
    v = rg::json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const rg::Error&) {
    return 0;
  }
  // Anything but rg::Error(kConfig) escaping here is a finding (libFuzzer reports it).
  rg::ModelConfig c;
  try {
    c = rg::config_from_json(v);
  } catch (const rg::Error& e) {
    if (e.code() != rg::kConfig) __builtin_trap();
    return 0;
  }
  // An accepted config is valid, and its JSON form (also as text) reads back to the same config.
  rg::validate(c);
  const rg::json::Value j = rg::config_to_json(c);
  const rg::ModelConfig again = rg::config_from_json(rg::json::parse(rg::json::dump(j)));
  if (!(rg::config_to_json(again) == j)) __builtin_trap();
  return 0;
}
