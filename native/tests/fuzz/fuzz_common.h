// Shared by the libFuzzer targets in this folder (see scripts/fuzz.sh): a scratch directory on a
// RAM file system for targets that must go through files, and bitwise tensor comparison.
#pragma once
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace rgfuzz {

// A private directory, created once, in /dev/shm when it exists (no disk writes), else in
// $TMPDIR or /tmp. Its files are removed by the targets; the directory at exit.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (tmp && *tmp ? tmp : "/tmp");
    std::string tmpl = base + "/rg-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) std::abort();
    static std::string removed_at_exit;
    removed_at_exit = tmpl;
    std::atexit([] { ::rmdir(removed_at_exit.c_str()); });
    return tmpl;
  }();
  return dir;
}

// Same dtype, shape and bytes (NaNs included, which torch::equal would call different).
inline bool bits_equal(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const torch::Tensor ca = a.cpu().contiguous(), cb = b.cpu().contiguous();
  return ca.numel() == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

}  // namespace rgfuzz
