#include "config.h"

#include "config_fields.h"
#include "error.h"

namespace rg {

const char* prior_name(PriorKind kind) {
  switch (kind) {
    case PriorKind::Standard: return "standard";
    case PriorKind::PriorGrad: return "priorgrad";
    case PriorKind::Learned: return "learned";
  }
  return "?";
}

PriorKind parse_prior(const std::string& name) {
  if (name == "standard") return PriorKind::Standard;
  if (name == "priorgrad") return PriorKind::PriorGrad;
  if (name == "learned") return PriorKind::Learned;
  throw Error(kConfig, "prior must be 'standard', 'priorgrad' or 'learned', got '" + name + "'");
}

Target parse_target(const std::string& name) {
  if (name == "epsilon") return Target::Epsilon;
  if (name == "x0") return Target::X0;
  if (name == "v") return Target::V;
  throw Error(kConfig, "target must be 'epsilon', 'x0' or 'v', got '" + name + "'");
}

const char* target_name(Target target) {
  switch (target) {
    case Target::Epsilon: return "epsilon";
    case Target::X0: return "x0";
    case Target::V: return "v";
  }
  return "?";
}

Target ModelConfig::target() const {
  return parse_target(image() ? image_target : speech_target);
}

const char* modality_name(Modality modality) {
  return modality == Modality::Image ? "image" : "speech";
}

Modality parse_modality(const std::string& name) {
  if (name == "speech") return Modality::Speech;
  if (name == "image") return Modality::Image;
  throw Error(kConfig, "modality must be 'speech' or 'image', got '" + name + "'");
}

ModelConfig default_config(Modality modality) {
  ModelConfig c;
  c.modality = modality;
  if (modality == Modality::Image) {
    c.train_steps = 1000;
    c.beta_start = 1e-4;
    c.beta_end = 0.02;
  }
  return c;
}

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw Error(kConfig, "config." + what);
}

const FieldSpec* find_field(const std::string& name) {
  for (const auto& f : config_fields())
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

ModelConfig config_from_json(const json::Value& v) {
  if (!v.is_object()) throw Error(kConfig, "config must be a JSON object");
  ModelConfig c;
  if (const auto* m = v.find("modality")) {
    check_field(*find_field("modality"), *m);
    c = default_config(parse_modality(m->as_string()));
  }
  for (const auto& [key, value] : v.as_object()) {
    const FieldSpec* field = find_field(key);
    if (!field) throw Error(kConfig, "unknown config field '" + key + "'");
    check_field(*field, value);
    field->set(c, value);
  }
  validate(c);
  return c;
}

json::Value config_to_json(const ModelConfig& c) {
  auto obj = json::Value::object();
  for (const auto& f : config_fields()) obj.set(f.name, f.get(c));
  return obj;
}

void validate(const ModelConfig& c) {
  for (const auto& f : config_fields()) check_field(f, f.get(c));
  // The rules between fields; each field's own range is in its spec.
  require(c.hop <= c.n_fft, "hop must not exceed nFft");
  require(c.upsampler != "transposed" || c.hop == 256,
          "upsampler 'transposed' is fixed at ×256: use hop 256 or upsampler 'repeat'");
  require(c.beta_start <= c.beta_end, "betaStart must not exceed betaEnd");
  require(c.speech_objective == "diffusion" || c.prior == PriorKind::Standard,
          "speechObjective 'regression' has no diffusion prior: use prior 'standard'");
  require(c.image_channels != 2, "imageChannels must be 1 or 3");
  const int divisor = 1 << (c.unet_levels() - 1);
  require(c.patch_size % divisor == 0, "patchSize must be a multiple of 2^(levels − 1) = " + std::to_string(divisor) +
                                           " (the UNet's downsamplings)");
  for (int r : c.attention_resolutions)
    require(r <= c.patch_size, "attentionResolutions entries must not exceed patchSize");
  require(c.patch_stride <= c.patch_size, "patchStride must not exceed patchSize");
  // Speech schedules may be shorter than the image step counts, which they do not use.
  require(!c.image() || (c.ddim_steps <= c.train_steps && c.ddim_fast_steps <= c.train_steps),
          "ddimSteps and ddimFastSteps must not exceed trainSteps");
}

}  // namespace rg
