#include "checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "error.h"
#include "safetensors.h"

namespace rg {

namespace {

constexpr const char* kFormat = "restoregrad";
constexpr const char* kFormatVersion = "1";

std::string shape_string(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

const std::string& metadata(const SafetensorsFile& f, const std::string& key) {
  const auto it = f.metadata.find(key);
  if (it == f.metadata.end()) throw Error(kCheckpoint, "checkpoint metadata lacks '" + key + "'");
  return it->second;
}

// Weight and bias of a convolution; a linear layer is a convolution of kernel size 1.
int64_t conv_parameters(int64_t in, int64_t out, int64_t kernel) {
  return in * out * kernel + out;
}

// kernel: 3 (1-D) or 3×3 = 9 (2-D).
int64_t encoder_parameters(int64_t in_channels, int64_t out_channels, int64_t width, int64_t blocks, int64_t kernel) {
  int64_t n = conv_parameters(in_channels, width, kernel), in = width;
  for (int stage = 0; stage < 3; ++stage) {
    const int64_t out = width << stage;
    for (int64_t b = 0; b < blocks; ++b) {
      n += conv_parameters(in, out, kernel) + conv_parameters(out, out, kernel) +
           (in != out ? conv_parameters(in, out, 1) : 0);
      in = out;
    }
  }
  return n + conv_parameters(in, out_channels, kernel);
}

// The number of trainable parameters of the model `c` describes, from the layer sizes of
// nets/wavenet.cpp, nets/unet.cpp and nets/encoder.cpp (test_fuzz_corpus.cpp and test_image.cpp
// compare it with Model).
int64_t implied_parameters(const ModelConfig& c) {
  if (c.image()) {
    const int64_t C = c.image_channels, w = c.encoder_width, blocks = c.encoder_blocks;
    return unet_parameters(c) +
           (c.learned() ? encoder_parameters(C, C, w, blocks, 9) + encoder_parameters(2 * C, C, w, blocks, 9) : 0);
  }
  const int64_t L = c.residual_layers, C = c.residual_channels, E = c.embedding_hidden;
  int64_t n = conv_parameters(1, C, 1) + conv_parameters(128, E, 1) + conv_parameters(E, E, 1) +
              conv_parameters(c.cond_bins(), 2 * L * C, 1) + conv_parameters(E, L * C, 1) +
              L * (conv_parameters(C, 2 * C, 3) + conv_parameters(C, 2 * C, 1)) + conv_parameters(C, C, 1) +
              conv_parameters(C, 1, 1);
  if (c.upsampler != "repeat") n += 2 * conv_parameters(1, 1, 3 * 32);  // up1, up2: 1 → 1 channel, 3×32 kernel
  if (c.learned())
    n += encoder_parameters(1, 1, c.encoder_width, c.encoder_blocks, 3) +
         encoder_parameters(2, 1, c.encoder_width, c.encoder_blocks, 3);
  return n;
}

// A writer killed mid-save (SIGKILL, power loss) leaves its temporary file "PATH.tmp.PID.N"
// behind; the checkpoint itself is intact. Remove those whose process is gone.
void remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // Best effort, never throwing: error codes instead of exceptions, also when advancing.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const auto pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    std::error_code ignored;
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove(it->path(), ignored);
  }
}

}  // namespace

void save_checkpoint(Model& model, const std::string& path, CheckpointContents contents) {
  remove_stale_temporaries(path);
  std::map<std::string, torch::Tensor> tensors;
  const auto named = model.named_parameters();
  const auto& s = model.train_state();
  const bool weights = contents == CheckpointContents::Weights;
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& name = named[i].first;
    if (weights) {
      tensors["weights." + name] = s.ema[i];
      continue;
    }
    tensors["params." + name] = named[i].second.detach();
    tensors["ema." + name] = s.ema[i];
    tensors["adam_m." + name] = s.adam_m[i];
    tensors["adam_v." + name] = s.adam_v[i];
  }
  if (!weights) tensors["rng"] = model.generator().get_state();
  const std::map<std::string, std::string> meta = {
      {"format", kFormat},
      {"format_version", kFormatVersion},
      {"contents", weights ? "weights" : "training"},
      {"config", json::dump(config_to_json(model.config()))},
      {"step", std::to_string(s.step)},
  };
  write_safetensors(path, tensors, meta);
}

std::unique_ptr<Model> load_checkpoint(const std::string& path, torch::Device device) {
  const auto file = read_safetensors(path);
  if (metadata(file, "format") != kFormat) throw Error(kCheckpoint, "'" + path + "' is not a restoregrad checkpoint");
  if (metadata(file, "format_version") != kFormatVersion)
    throw Error(kCheckpoint, "checkpoint format version " + metadata(file, "format_version") +
                                 " is not supported (this build reads version " + kFormatVersion + ")");
  ModelConfig config;
  try {
    config = config_from_json(json::parse(metadata(file, "config")));
  } catch (const Error& e) {
    throw Error(kCheckpoint, std::string("checkpoint config is invalid: ") + e.what());
  }
  int64_t step = 0;
  try {
    size_t used = 0;
    const auto& text = metadata(file, "step");
    step = std::stoll(text, &used);
    if (used != text.size() || step < 0) throw std::invalid_argument("step");
  } catch (const std::logic_error&) {
    throw Error(kCheckpoint, "checkpoint metadata 'step' is not a non-negative integer");
  }

  // Files written before "contents" existed hold the training state.
  const auto contents_it = file.metadata.find("contents");
  const std::string contents = contents_it == file.metadata.end() ? "training" : contents_it->second;
  if (contents != "training" && contents != "weights")
    throw Error(kCheckpoint, "checkpoint metadata 'contents' must be 'training' or 'weights', got '" + contents + "'");
  const bool weights = contents == "weights";
  const std::vector<std::string> prefixes = weights ? std::vector<std::string>{"weights."}
                                                    : std::vector<std::string>{"params.", "ema.", "adam_m.", "adam_v."};

  // A valid config may describe billions of parameters: without this check a file of a few
  // hundred bytes could make the model below allocate tens of GB before its tensors are looked
  // at. The file must hold every float32 value of the model under each prefix, so the model costs
  // no more memory than the file already does.
  const int64_t implied = implied_parameters(config);
  for (const auto& prefix : prefixes) {
    int64_t held = 0;
    for (auto it = file.tensors.lower_bound(prefix); it != file.tensors.end() && it->first.rfind(prefix, 0) == 0; ++it)
      if (it->second.scalar_type() == torch::kFloat) held += it->second.numel();
    if (held < implied)
      throw Error(kCheckpoint, "checkpoint config implies " + std::to_string(implied) + " parameters, but its '" +
                                   prefix + "' tensors hold " + std::to_string(held) + " float32 values");
  }

  auto model = std::make_unique<Model>(config, device, 0);
  std::set<std::string> expected = {};
  if (!weights) expected.insert("rng");
  const auto take = [&](const std::string& name, const torch::Tensor& like) {
    const auto it = file.tensors.find(name);
    if (it == file.tensors.end()) throw Error(kCheckpoint, "checkpoint lacks tensor '" + name + "'");
    const auto& t = it->second;
    if (t.scalar_type() != like.scalar_type() || t.sizes() != like.sizes())
      throw Error(kCheckpoint, "tensor '" + name + "' is " + std::string(c10::toString(t.scalar_type())) + " " +
                                   shape_string(t.sizes()) + ", the config expects " +
                                   c10::toString(like.scalar_type()) + " " + shape_string(like.sizes()));
    expected.insert(name);
    return t.to(like.device());
  };
  torch::NoGradGuard no_grad;
  const auto named = model->named_parameters();
  auto& s = model->train_state();
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& [name, p] = named[i];
    if (weights) {
      // Restoring uses these weights as they are; training from them starts a fresh optimiser.
      p.copy_(take("weights." + name, p));
      s.ema[i].copy_(p);
      continue;
    }
    p.copy_(take("params." + name, p));
    s.ema[i].copy_(take("ema." + name, p));
    s.adam_m[i].copy_(take("adam_m." + name, p));
    s.adam_v[i].copy_(take("adam_v." + name, p));
  }
  for (const auto& [name, t] : file.tensors)
    if (!expected.count(name)) throw Error(kCheckpoint, "checkpoint has unexpected tensor '" + name + "'");
  s.step = step;
  if (weights) return model;
  const auto rng = file.tensors.find("rng");
  if (rng == file.tensors.end()) throw Error(kCheckpoint, "checkpoint lacks tensor 'rng'");
  try {
    model->generator().set_state(rng->second);
  } catch (const c10::Error&) {
    throw Error(kCheckpoint, "checkpoint tensor 'rng' is not a valid generator state");
  }
  // set_state checks each field of the Mersenne Twister position but not the two together: with
  // next + left > 625, the next draws would read past the end of its 624-word state.
  const at::mt19937_data_pod mt = at::check_generator<at::CPUGeneratorImpl>(model->generator())->engine().data();
  if (int64_t{mt.left_} + int64_t{mt.next_} > 625)
    throw Error(kCheckpoint, "checkpoint tensor 'rng' is not a valid generator state");
  return model;
}

}  // namespace rg
