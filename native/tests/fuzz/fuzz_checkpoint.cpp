// libFuzzer target for the whole checkpoint loader, rg::load_checkpoint: the safetensors reader,
// the metadata, the config, the model built from it and the tensor checks (seeds:
// test/fuzz/corpus/checkpoint/). Each input becomes the content of an in-memory file (memfd), so
// the loader runs exactly as on a real path without touching the disk. scripts/fuzz.sh runs it
// with -malloc_limit_mb: loading must fail or succeed with memory in proportion to the file, so a
// small file that asks for a huge model is a finding.
#include <ATen/CPUGeneratorImpl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "checkpoint.h"
#include "fuzz_common.h"
#include "json.h"

namespace {

int g_fd = -1;
std::string g_path;

void put(const uint8_t* data, size_t size) {
  if (::ftruncate(g_fd, 0) != 0) std::abort();
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(g_fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
}

bool same_model(rg::Model& a, rg::Model& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  if (pa.size() != pb.size()) return false;
  auto &sa = a.train_state(), &sb = b.train_state();
  for (size_t i = 0; i < pa.size(); ++i) {
    if (pa[i].first != pb[i].first || !rgfuzz::bits_equal(pa[i].second, pb[i].second)) return false;
    if (!rgfuzz::bits_equal(sa.ema[i], sb.ema[i]) || !rgfuzz::bits_equal(sa.adam_m[i], sb.adam_m[i]) ||
        !rgfuzz::bits_equal(sa.adam_v[i], sb.adam_v[i]))
      return false;
  }
  return sa.step == sb.step &&
         rg::json::dump(rg::config_to_json(a.config())) == rg::json::dump(rg::config_to_json(b.config())) &&
         rgfuzz::bits_equal(a.generator().get_state(), b.generator().get_state());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  g_fd = ::memfd_create("rg-fuzz-checkpoint", MFD_CLOEXEC);
  if (g_fd >= 0) {
    g_path = "/proc/self/fd/" + std::to_string(g_fd);
  } else {  // no memfd: a file in the scratch directory
    g_path = rgfuzz::scratch_dir() + "/input.safetensors";
    g_fd = ::open(g_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (g_fd < 0) std::abort();
    static std::string remove_at_exit;
    remove_at_exit = g_path;
    std::atexit([] { ::unlink(remove_at_exit.c_str()); });
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  put(data, size);
  std::unique_ptr<rg::Model> model;
  try {
    model = rg::load_checkpoint(g_path, torch::kCPU);
  } catch (const rg::Error& e) {
    // The documented outcome for every bad file; anything else escaping is a finding.
    if (e.code() != rg::kCheckpoint) __builtin_trap();
    return 0;
  }
  // LibTorch draws from the loaded generator state in code no sanitizer sees. Run a copy of its
  // engine (header-only, so compiled here with the sanitizers) for one full period, the most a
  // state can be ahead of a refill, to see what those draws would read.
  at::mt19937 engine = at::check_generator<at::CPUGeneratorImpl>(model->generator())->engine();
  for (int i = 0; i < 625; ++i) (void)engine();
  // An accepted checkpoint saves and loads back to the same model.
  const std::string path = rgfuzz::scratch_dir() + "/roundtrip.safetensors";
  rg::save_checkpoint(*model, path);
  const std::unique_ptr<rg::Model> back = rg::load_checkpoint(path, torch::kCPU);
  ::unlink(path.c_str());
  if (!same_model(*model, *back)) __builtin_trap();
  return 0;
}
