// Packed pictures of the file-based tools (scripts/bench/pack-images.js): square 8-bit pictures,
// planar, one after another, [N, C, side, side] uint8 with no header.
#pragma once
#include <torch/torch.h>

#include <fstream>
#include <sstream>
#include <string>

#include "error.h"

namespace rgtool {

inline torch::Tensor read_pictures(const std::string& path, int64_t channels, int64_t side) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw rg::Error(rg::kIo, "cannot open " + path);
  std::stringstream bytes;
  bytes << f.rdbuf();
  const std::string s = bytes.str();
  const int64_t item = channels * side * side;
  if (s.empty() || s.size() % item != 0)
    throw rg::Error(rg::kInput, path + ": " + std::to_string(s.size()) + " bytes is not a whole number of " +
                                    std::to_string(channels) + "×" + std::to_string(side) + "² pictures");
  const int64_t n = static_cast<int64_t>(s.size()) / item;
  return torch::from_blob(const_cast<char*>(s.data()), {n, channels, side, side}, torch::kUInt8).clone();
}

}  // namespace rgtool
