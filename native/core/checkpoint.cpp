#include "checkpoint.h"

#include <map>
#include <set>

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

}  // namespace

void save_checkpoint(Model& model, const std::string& path) {
  std::map<std::string, torch::Tensor> tensors;
  const auto named = model.named_parameters();
  const auto& s = model.train_state();
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& name = named[i].first;
    tensors["params." + name] = named[i].second.detach();
    tensors["ema." + name] = s.ema[i];
    tensors["adam_m." + name] = s.adam_m[i];
    tensors["adam_v." + name] = s.adam_v[i];
  }
  tensors["rng"] = model.generator().get_state();
  const std::map<std::string, std::string> meta = {
      {"format", kFormat},
      {"format_version", kFormatVersion},
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

  auto model = std::make_unique<Model>(config, device, 0);
  std::set<std::string> expected = {"rng"};
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
    p.copy_(take("params." + name, p));
    s.ema[i].copy_(take("ema." + name, p));
    s.adam_m[i].copy_(take("adam_m." + name, p));
    s.adam_v[i].copy_(take("adam_v." + name, p));
  }
  for (const auto& [name, t] : file.tensors)
    if (!expected.count(name)) throw Error(kCheckpoint, "checkpoint has unexpected tensor '" + name + "'");
  const auto rng = file.tensors.find("rng");
  if (rng == file.tensors.end()) throw Error(kCheckpoint, "checkpoint lacks tensor 'rng'");
  try {
    model->generator().set_state(rng->second);
  } catch (const c10::Error&) {
    throw Error(kCheckpoint, "checkpoint tensor 'rng' is not a valid generator state");
  }
  s.step = step;
  return model;
}

}  // namespace rg
