#include "config.h"

#include <cmath>
#include <functional>
#include <map>

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

// One table drives reading, writing and the unknown-key check, so the three cannot drift apart.
struct Field {
  std::function<json::Value(const ModelConfig&)> get;
  std::function<void(ModelConfig&, const json::Value&)> set;
};

int to_int(const json::Value& v, const std::string& key) {
  const double d = v.as_number();
  if (d != std::floor(d) || std::fabs(d) > 1e9) throw Error(kConfig, "config." + key + " must be an integer");
  return static_cast<int>(d);
}

json::Value list(const std::vector<double>& xs) {
  auto a = json::Value::array();
  for (double x : xs) a.push(json::Value(x));
  return a;
}

std::vector<double> from_list(const json::Value& v) {
  std::vector<double> out;
  for (const auto& x : v.as_array()) out.push_back(x.as_number());
  return out;
}

json::Value int_list(const std::vector<int>& xs) {
  auto a = json::Value::array();
  for (int x : xs) a.push(json::Value(x));
  return a;
}

std::vector<int> from_int_list(const json::Value& v, const std::string& key) {
  std::vector<int> out;
  for (const auto& x : v.as_array()) out.push_back(to_int(x, key));
  return out;
}

#define RG_INT(key, member)                                                       \
  {                                                                               \
    key, {                                                                        \
      [](const ModelConfig& c) { return json::Value(c.member); },                 \
          [](ModelConfig& c, const json::Value& v) { c.member = to_int(v, key); } \
    }                                                                             \
  }
#define RG_NUM(key, member)                                                      \
  {                                                                              \
    key, {                                                                       \
      [](const ModelConfig& c) { return json::Value(c.member); },                \
          [](ModelConfig& c, const json::Value& v) { c.member = v.as_number(); } \
    }                                                                            \
  }
#define RG_INT_LIST(key, member)                                                         \
  {                                                                                      \
    key, {                                                                               \
      [](const ModelConfig& c) { return int_list(c.member); },                           \
          [](ModelConfig& c, const json::Value& v) { c.member = from_int_list(v, key); } \
    }                                                                                    \
  }
#define RG_LIST(key, member)                                                    \
  {                                                                             \
    key, {                                                                      \
      [](const ModelConfig& c) { return list(c.member); },                      \
          [](ModelConfig& c, const json::Value& v) { c.member = from_list(v); } \
    }                                                                           \
  }

const std::vector<std::pair<std::string, Field>>& fields() {
  static const std::vector<std::pair<std::string, Field>> table = {
      {"prior",
       {[](const ModelConfig& c) { return json::Value(prior_name(c.prior)); },
        [](ModelConfig& c, const json::Value& v) { c.prior = parse_prior(v.as_string()); }}},
      {"modality",
       {[](const ModelConfig& c) { return json::Value(modality_name(c.modality)); },
        [](ModelConfig& c, const json::Value& v) { c.modality = parse_modality(v.as_string()); }}},
      RG_INT("sampleRate", sample_rate),
      RG_INT("residualLayers", residual_layers),
      RG_INT("residualChannels", residual_channels),
      RG_INT("dilationCycle", dilation_cycle),
      RG_INT("nFft", n_fft),
      RG_INT("hop", hop),
      {"upsampler",
       {[](const ModelConfig& c) { return json::Value(c.upsampler); },
        [](ModelConfig& c, const json::Value& v) { c.upsampler = v.as_string(); }}},
      RG_INT("embeddingHidden", embedding_hidden),
      RG_INT("encoderWidth", encoder_width),
      RG_INT("encoderBlocks", encoder_blocks),
      RG_NUM("logVarMin", log_var_min),
      RG_NUM("logVarMax", log_var_max),
      RG_NUM("priorgradFloor", priorgrad_floor),
      RG_NUM("noiseScale", noise_scale),
      RG_INT("trainSteps", train_steps),
      RG_NUM("betaStart", beta_start),
      RG_NUM("betaEnd", beta_end),
      RG_LIST("fastBetas", fast_betas),
      RG_LIST("fast3Betas", fast3_betas),
      RG_NUM("outputBlend", output_blend),
      {"speechTarget",
       {[](const ModelConfig& c) { return json::Value(c.speech_target); },
        [](ModelConfig& c, const json::Value& v) { c.speech_target = v.as_string(); }}},
      {"speechObjective",
       {[](const ModelConfig& c) { return json::Value(c.speech_objective); },
        [](ModelConfig& c, const json::Value& v) { c.speech_objective = v.as_string(); }}},
      {"noisyInput",
       {[](const ModelConfig& c) { return json::Value(c.noisy_input); },
        [](ModelConfig& c, const json::Value& v) { c.noisy_input = v.as_bool(); }}},
      RG_NUM("condDropout", cond_dropout),
      RG_NUM("signalRms", signal_rms),
      RG_NUM("eta", eta),
      RG_NUM("lambda", lambda),
      RG_NUM("lrScale", lr_scale),
      {"priorBase",
       {[](const ModelConfig& c) { return json::Value(c.prior_base); },
        [](ModelConfig& c, const json::Value& v) { c.prior_base = v.as_string(); }}},
      RG_INT("sigmaBlock", sigma_block),
      RG_INT("imageChannels", image_channels),
      RG_INT("patchSize", patch_size),
      RG_INT("unetWidth", unet_width),
      RG_INT_LIST("unetMultipliers", unet_multipliers),
      RG_INT("unetResBlocks", unet_res_blocks),
      RG_INT_LIST("attentionResolutions", attention_resolutions),
      RG_INT("ddimSteps", ddim_steps),
      RG_INT("ddimFastSteps", ddim_fast_steps),
      RG_NUM("ddimEta", ddim_eta),
      RG_INT("patchStride", patch_stride),
      {"imageTarget",
       {[](const ModelConfig& c) { return json::Value(c.image_target); },
        [](ModelConfig& c, const json::Value& v) { c.image_target = v.as_string(); }}},
      RG_NUM("lr", lr),
      RG_NUM("gradClip", grad_clip),
      RG_NUM("emaDecay", ema_decay),
  };
  return table;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw Error(kConfig, "invalid config: " + what);
}

// Checked for speech models too, so that every saved config is valid whatever its modality.
void validate_image_fields(const ModelConfig& c) {
  require(c.image_channels == 1 || c.image_channels == 3, "imageChannels must be 1 or 3");
  require(c.unet_width >= 1 && c.unet_width <= 512, "unetWidth must be in [1, 512]");
  require(!c.unet_multipliers.empty() && c.unet_multipliers.size() <= 7, "unetMultipliers must hold 1 to 7 levels");
  for (int m : c.unet_multipliers) require(m >= 1 && m <= 16, "every unetMultipliers entry must be in [1, 16]");
  require(c.unet_res_blocks >= 1 && c.unet_res_blocks <= 8, "unetResBlocks must be in [1, 8]");
  const int divisor = 1 << (c.unet_levels() - 1);
  require(c.patch_size >= 4 && c.patch_size <= 512, "patchSize must be in [4, 512]");
  require(c.patch_size % divisor == 0, "patchSize must be a multiple of 2^(levels − 1) = " + std::to_string(divisor) +
                                           " (the UNet's downsamplings)");
  for (int r : c.attention_resolutions)
    require(r >= 1 && r <= c.patch_size, "every attentionResolutions entry must be in [1, patchSize]");
  require(c.attention_resolutions.size() <= 8, "attentionResolutions holds at most 8 entries");
  // Speech schedules may be shorter than the image step counts, which they do not use.
  const int most_steps = c.image() ? c.train_steps : 10000;
  require(c.ddim_steps >= 1 && c.ddim_steps <= most_steps, "ddimSteps must be in [1, trainSteps]");
  require(c.ddim_fast_steps >= 1 && c.ddim_fast_steps <= most_steps, "ddimFastSteps must be in [1, trainSteps]");
  require(c.ddim_eta >= 0 && c.ddim_eta <= 1, "ddimEta must be in [0, 1]");
  require(c.image_target == "epsilon" || c.image_target == "x0" || c.image_target == "v",
          "imageTarget must be 'epsilon', 'x0' or 'v'");
  require(c.patch_stride >= 1 && c.patch_stride <= c.patch_size, "patchStride must be in [1, patchSize]");
}

}  // namespace

ModelConfig config_from_json(const json::Value& v) {
  if (!v.is_object()) throw Error(kConfig, "config must be a JSON object");
  ModelConfig c;
  for (const auto& [key, value] : v.as_object()) {
    if (key != "modality") continue;
    try {
      c = default_config(parse_modality(value.as_string()));
    } catch (const Error& e) {
      throw Error(kConfig, "config.modality: " + std::string(e.what()));
    }
  }
  for (const auto& [key, value] : v.as_object()) {
    const Field* field = nullptr;
    for (const auto& [name, f] : fields())
      if (name == key) field = &f;
    if (!field) throw Error(kConfig, "unknown config field '" + key + "'");
    try {
      field->set(c, value);
    } catch (const Error& e) {
      throw Error(kConfig, "config." + key + ": " + e.what());
    }
  }
  validate(c);
  return c;
}

json::Value config_to_json(const ModelConfig& c) {
  auto obj = json::Value::object();
  for (const auto& [name, f] : fields()) obj.set(name, f.get(c));
  return obj;
}

void validate(const ModelConfig& c) {
  require(c.sample_rate >= 1000 && c.sample_rate <= 192000, "sampleRate must be in [1000, 192000]");
  require(c.residual_layers >= 1 && c.residual_layers <= 128, "residualLayers must be in [1, 128]");
  require(c.residual_channels >= 1 && c.residual_channels <= 1024, "residualChannels must be in [1, 1024]");
  require(c.dilation_cycle >= 1 && c.dilation_cycle <= 16, "dilationCycle must be in [1, 16]");
  require(c.n_fft >= 16 && c.n_fft <= 8192, "nFft must be in [16, 8192]");
  require(c.hop >= 1 && c.hop <= c.n_fft, "hop must be in [1, nFft]");
  require(c.upsampler == "transposed" || c.upsampler == "repeat", "upsampler must be 'transposed' or 'repeat'");
  require(c.upsampler != "transposed" || c.hop == 256,
          "the transposed upsampler is fixed at ×256: use hop 256 or upsampler 'repeat'");
  require(c.embedding_hidden >= 1 && c.embedding_hidden <= 4096, "embeddingHidden must be in [1, 4096]");
  require(c.encoder_width >= 1 && c.encoder_width <= 256, "encoderWidth must be in [1, 256]");
  require(c.encoder_blocks >= 1 && c.encoder_blocks <= 16, "encoderBlocks must be in [1, 16]");
  require(c.log_var_min < 0 && c.log_var_max > 0,
          "logVarMin must be < 0 < logVarMax (σ = 1 must lie inside the bounds)");
  require(c.priorgrad_floor > 0 && c.priorgrad_floor <= 1, "priorgradFloor must be in (0, 1]");
  require(c.noise_scale >= 1e-3 && c.noise_scale <= 1e3, "noiseScale must be in [0.001, 1000]");
  require(c.train_steps >= 2 && c.train_steps <= 10000, "trainSteps must be in [2, 10000]");
  require(c.beta_start > 0 && c.beta_end < 1 && c.beta_start <= c.beta_end, "need 0 < betaStart <= betaEnd < 1");
  require(c.output_blend >= 0 && c.output_blend < 1, "outputBlend must be in [0, 1)");
  require(c.speech_target == "epsilon" || c.speech_target == "x0" || c.speech_target == "v",
          "speechTarget must be 'epsilon', 'x0' or 'v'");
  require(c.speech_objective == "diffusion" || c.speech_objective == "regression",
          "speechObjective must be 'diffusion' or 'regression'");
  require(c.speech_objective == "diffusion" || c.prior == PriorKind::Standard,
          "speechObjective 'regression' has no diffusion prior: use prior 'standard'");
  require(c.cond_dropout >= 0 && c.cond_dropout < 1, "condDropout must be in [0, 1)");
  require(c.signal_rms >= 1e-6 && c.signal_rms <= 1e3, "signalRms must be in [1e-6, 1000]");
  require(std::isfinite(c.eta) && c.eta >= 0, "eta must be >= 0");
  require(std::isfinite(c.lambda) && c.lambda >= 0, "lambda must be >= 0");
  require(c.lr_scale >= 1e-6 && c.lr_scale <= 1e6, "lrScale must be in [1e-6, 1e6]");
  require(c.prior_base == "standard" || c.prior_base == "priorgrad", "priorBase must be 'standard' or 'priorgrad'");
  require(c.sigma_block >= 1 && c.sigma_block <= 4096, "sigmaBlock must be in [1, 4096]");
  require(c.lr > 0 && c.lr < 1, "lr must be in (0, 1)");
  require(c.grad_clip >= 0, "gradClip must be >= 0 (0 disables clipping)");
  require(c.ema_decay >= 0 && c.ema_decay < 1, "emaDecay must be in [0, 1)");
  validate_image_fields(c);
  for (const auto* betas : {&c.fast_betas, &c.fast3_betas}) {
    require(!betas->empty(), "fast schedules must not be empty");
    for (double b : *betas) require(b > 0 && b < 1, "every β must be in (0, 1)");
  }
}

}  // namespace rg
