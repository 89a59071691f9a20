// Replays the fuzz corpora of test/fuzz/corpus/<target>/ (scripts/fuzz.sh) through the parsers they
// were made for: every input must be accepted or rejected with rg::Error and its documented code,
// never anything else. Inputs named valid-* must be accepted and invalid-* rejected. The corpus is
// found from this file's path, so no build setting is needed.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "config.h"
#include "helpers.h"
#include "json.h"
#include "model.h"
#include "safetensors.h"
#include "test.h"

namespace {

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Sorted names in `dir`, without "." and "..".
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The repository root: __FILE__ ends in native/tests/test_fuzz_corpus.cpp (absolute under CMake).
std::string source_root() {
  const std::string file = __FILE__;
  const size_t at = file.rfind("native/tests/");
  if (at == std::string::npos) return ".";
  return at == 0 ? "." : file.substr(0, at - 1);
}

// What one input did: accepted, or rejected with an rg::Error code. Anything else thrown fails
// the test (with the file's name) and counts as neither.
struct Outcome {
  bool accepted = false;
  std::string code;  // of the rg::Error, when rejected
  std::string what;
};

template <typename F>
Outcome run(const std::string& path, F f) {
  Outcome o;
  try {
    f();
    o.accepted = true;
  } catch (const rg::Error& e) {
    o.code = e.code();
    o.what = e.what();
  } catch (const std::exception& e) {
    rgtest::fail(path.c_str(), 0, std::string("threw a non-rg::Error: ") + e.what());
    o.code = "(foreign exception)";
  } catch (...) {
    rgtest::fail(path.c_str(), 0, "threw a non-exception");
    o.code = "(foreign exception)";
  }
  return o;
}

Outcome replay(const std::string& target, const std::string& path) {
  const std::string bytes = read_file(path);
  if (target == "json") {
    return run(path, [&] {
      const rg::json::Value v = rg::json::parse(bytes);
      if (!(rg::json::parse(rg::json::dump(v)) == v)) rgtest::fail(path.c_str(), 0, "JSON round trip differs");
    });
  }
  if (target == "config") {
    return run(path, [&] {
      const rg::ModelConfig c = rg::config_from_json(rg::json::parse(bytes));
      if (!(rg::config_to_json(rg::config_from_json(rg::config_to_json(c))) == rg::config_to_json(c)))
        rgtest::fail(path.c_str(), 0, "config round trip differs");
    });
  }
  if (target == "safetensors") {
    const Outcome parsed =
        run(path, [&] { rg::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()); });
    // The file reader must agree with the in-memory parser.
    const Outcome read = run(path, [&] { rg::read_safetensors(path); });
    if (parsed.accepted != read.accepted || parsed.code != read.code)
      rgtest::fail(path.c_str(), 0, "parse_safetensors and read_safetensors disagree");
    return parsed;
  }
  return run(path, [&] { rg::load_checkpoint(path, rgtest::device()); });
}

const char* expected_code(const std::string& target) {
  return target == "json" || target == "config" ? rg::kConfig : rg::kCheckpoint;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// A temporary file path, removed at scope exit.
struct TempPath {
  std::string path;
  explicit TempPath(const std::string& name) : path("/tmp/rg_test_fuzz_" + std::to_string(::getpid()) + "_" + name) {}
  ~TempPath() { std::remove(path.c_str()); }
};

// The parameter count in "checkpoint config implies N parameters", or -1.
int64_t implied_count(const std::string& message) {
  const std::string key = "implies ";
  const size_t at = message.find(key);
  return at == std::string::npos ? -1 : std::stoll(message.substr(at + key.size()));
}

}  // namespace

TEST_CASE("fuzz corpus: every input is accepted or rejected with rg::Error, never a crash") {
  const std::string root = source_root();
  const std::string corpus = root + "/test/fuzz/corpus";
  if (!is_dir(corpus)) {
    // A source package without test/ (npm ships native/ only) has no corpus to replay.
    if (is_dir(root + "/test")) rgtest::fail(__FILE__, __LINE__, "no fuzz corpus at " + corpus);
    std::cout << "  (no fuzz corpus at " << corpus << ", skipped)" << std::endl;
    return;
  }
  const std::vector<std::string> known = {"json", "config", "safetensors", "checkpoint"};
  for (const std::string& target : entries(corpus)) {
    if (std::find(known.begin(), known.end(), target) == known.end()) {
      rgtest::fail(__FILE__, __LINE__, "unknown fuzz corpus " + corpus + "/" + target);
      continue;
    }
  }
  for (const std::string& target : known) {
    const std::string dir = corpus + "/" + target;
    const std::vector<std::string> names = entries(dir);
    if (names.empty()) rgtest::fail(__FILE__, __LINE__, "empty fuzz corpus " + dir);
    int accepted = 0;
    for (const std::string& name : names) {
      const std::string path = dir + "/" + name;
      const Outcome o = replay(target, path);
      accepted += o.accepted;
      if (!o.accepted && o.code != expected_code(target))
        rgtest::fail(path.c_str(), 0, "rejected with " + o.code + ", wanted " + expected_code(target) + ": " + o.what);
      if (starts_with(name, "valid-") && !o.accepted) rgtest::fail(path.c_str(), 0, "was rejected: " + o.what);
      if (starts_with(name, "invalid-") && o.accepted) rgtest::fail(path.c_str(), 0, "was accepted");
    }
    std::cout << "  " << target << ": " << names.size() << " inputs, " << accepted << " accepted" << std::endl;
  }
}

TEST_CASE("checkpoint: a config asking for more parameters than the file holds is rejected before allocation") {
  // The implied count must be exact for every architecture variant: compare it with the model.
  std::vector<rg::ModelConfig> configs;
  for (const auto prior : {rg::PriorKind::Standard, rg::PriorKind::PriorGrad, rg::PriorKind::Learned})
    configs.push_back(rgtest::tiny(prior));
  rg::ModelConfig transposed = rgtest::tiny(rg::PriorKind::Learned);
  transposed.upsampler = "transposed";
  transposed.n_fft = 512;
  transposed.hop = 256;
  configs.push_back(transposed);
  rg::ModelConfig odd = rgtest::tiny(rg::PriorKind::Learned);
  odd.residual_layers = 3;
  odd.residual_channels = 5;
  odd.dilation_cycle = 2;
  odd.n_fft = 100;
  odd.hop = 25;
  odd.embedding_hidden = 7;
  odd.encoder_width = 3;
  odd.encoder_blocks = 2;
  odd.train_steps = 13;
  configs.push_back(odd);
  for (const auto prior : {rg::PriorKind::Standard, rg::PriorKind::Learned})
    configs.push_back(rgtest::image_tiny(prior));
  rg::ModelConfig grey = rgtest::image_tiny(rg::PriorKind::Learned);
  grey.image_channels = 1;
  grey.unet_multipliers = {1, 2, 3};
  grey.attention_resolutions = {16, 4};
  grey.encoder_blocks = 2;
  configs.push_back(grey);

  TempPath path("implied.safetensors");
  for (const rg::ModelConfig& c : configs) {
    rg::Model m(c, torch::kCPU, 1);
    rg::save_checkpoint(m, path.path);
    rg::SafetensorsFile f = rg::read_safetensors(path.path);
    // One weight short: the first check to fail is the parameter count.
    f.tensors.erase(f.tensors.lower_bound("params."));
    rg::write_safetensors(path.path, f.tensors, f.metadata);
    std::string message;
    try {
      rg::load_checkpoint(path.path, torch::kCPU);
    } catch (const rg::Error& e) {
      message = e.what();
      CHECK(e.code() == rg::kCheckpoint);
    }
    CHECK(implied_count(message) == m.param_counts().total);
  }

  // A valid config of 2.8 billion parameters in a file of a few hundred bytes: rejected at once.
  const rg::ModelConfig huge = rgtest::largest();
  rg::write_safetensors(path.path, {},
                        {{"format", "restoregrad"},
                         {"format_version", "1"},
                         {"config", rg::json::dump(rg::config_to_json(huge))},
                         {"step", "0"}});
  std::string message;
  try {
    rg::load_checkpoint(path.path, torch::kCPU);
  } catch (const rg::Error& e) {
    message = e.what();
  }
  CHECK(implied_count(message) > 2000000000);
}
