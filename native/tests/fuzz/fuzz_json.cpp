// libFuzzer target for the JSON parser and writer (seeds: test/fuzz/corpus/json/). Needs no
// LibTorch: scripts/fuzz.sh builds it from native/core/json.cpp alone.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json.h"

namespace {

// Nesting depth as parse() counts it: 0 for scalars, 1 for a flat array or object.
int depth(const rg::json::Value& v) {
  int d = 0;
  if (v.is_array())
    for (const auto& item : v.as_array()) d = std::max(d, depth(item));
  else if (v.is_object())
    for (const auto& member : v.as_object()) d = std::max(d, depth(member.second));
  else
    return 0;
  return d + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rg::json::Value v;
  try {
    v = rg::json::parse(text);
  } catch (const rg::Error& e) {
    if (e.code() != rg::kConfig) __builtin_trap();
    return 0;
  }
  // Only UTF-8 text parses.
  if (!rg::json::is_valid_utf8(text)) __builtin_trap();
  // Whatever parses must dump (an escaping exception is a finding), parse back equal, and dump
  // to the same text again.
  const std::string once = rg::json::dump(v);
  const rg::json::Value back = rg::json::parse(once);
  if (!(back == v)) __builtin_trap();
  if (rg::json::dump(back) != once) __builtin_trap();
  // The depth limit is exact: the document parses at its own depth and not one less.
  const int d = depth(v);
  (void)rg::json::parse(text, d);
  if (d > 0) {
    bool rejected = false;
    try {
      (void)rg::json::parse(text, d - 1);
    } catch (const rg::Error&) {
      rejected = true;
    }
    if (!rejected) __builtin_trap();
  }
  return 0;
}
