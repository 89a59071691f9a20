#include "config_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <type_traits>

#include "error.h"

namespace rg {

namespace {

// An interval written as in the docs, "[0, 1)" or "(0, 1]", read into a spec.
void set_range(FieldSpec& s, const std::string& interval) {
  const auto comma = interval.find(',');
  s.min_open = interval.front() == '(';
  s.max_open = interval.back() == ')';
  s.min = std::stod(interval.substr(1, comma - 1));
  s.max = std::stod(interval.substr(comma + 1, interval.size() - comma - 2));
}

template <typename T>
using Member = T ModelConfig::*;

FieldSpec int_field(const char* name, Member<int> m, const std::string& range, const char* doc) {
  FieldSpec s{name, FieldType::Int, doc};
  set_range(s, range);
  s.get = [m](const ModelConfig& c) { return json::Value(c.*m); };
  s.set = [m](ModelConfig& c, const json::Value& v) { c.*m = static_cast<int>(v.as_number()); };
  return s;
}

FieldSpec number_field(const char* name, Member<double> m, const std::string& range, const char* doc) {
  FieldSpec s{name, FieldType::Number, doc};
  set_range(s, range);
  s.get = [m](const ModelConfig& c) { return json::Value(c.*m); };
  s.set = [m](ModelConfig& c, const json::Value& v) { c.*m = v.as_number(); };
  return s;
}

FieldSpec bool_field(const char* name, Member<bool> m, const char* doc) {
  FieldSpec s{name, FieldType::Boolean, doc};
  s.get = [m](const ModelConfig& c) { return json::Value(c.*m); };
  s.set = [m](ModelConfig& c, const json::Value& v) { c.*m = v.as_bool(); };
  return s;
}

FieldSpec choice_field(const char* name, Member<std::string> m, std::vector<std::string> choices, const char* doc) {
  FieldSpec s{name, FieldType::Choice, doc};
  s.choices = std::move(choices);
  s.get = [m](const ModelConfig& c) { return json::Value(c.*m); };
  s.set = [m](ModelConfig& c, const json::Value& v) { c.*m = v.as_string(); };
  return s;
}

template <typename T>
FieldSpec list_field(const char* name, Member<std::vector<T>> m, const std::string& range, size_t min_length,
                     size_t max_length, const char* doc) {
  FieldSpec s{name, std::is_same_v<T, int> ? FieldType::IntList : FieldType::NumberList, doc};
  set_range(s, range);
  s.min_length = min_length;
  s.max_length = max_length;
  s.get = [m](const ModelConfig& c) {
    auto a = json::Value::array();
    for (T x : c.*m) a.push(json::Value(x));
    return a;
  };
  s.set = [m](ModelConfig& c, const json::Value& v) {
    (c.*m).clear();
    for (const auto& x : v.as_array()) (c.*m).push_back(static_cast<T>(x.as_number()));
  };
  return s;
}

std::vector<FieldSpec> make_fields() {
  FieldSpec prior{"prior", FieldType::Choice,
                  "`standard`: ε ~ N(0, I) (CDiffuSE); `priorgrad`: handcrafted Σ_y from the degraded input's "
                  "energy; `learned`: RestoreGrad's jointly learned prior."};
  prior.choices = {"standard", "priorgrad", "learned"};
  prior.get = [](const ModelConfig& c) { return json::Value(prior_name(c.prior)); };
  prior.set = [](ModelConfig& c, const json::Value& v) { c.prior = parse_prior(v.as_string()); };
  FieldSpec modality{"modality", FieldType::Choice,
                     "`speech` (CDiffuSE's network) or `image` (WeatherDiff's patch UNet); a config starts from "
                     "its modality's defaults, and the other modality's fields are kept but unused."};
  modality.choices = {"speech", "image"};
  modality.get = [](const ModelConfig& c) { return json::Value(modality_name(c.modality)); };
  modality.set = [](ModelConfig& c, const json::Value& v) { c.modality = parse_modality(v.as_string()); };
  using C = ModelConfig;
  return {
      prior,
      modality,
      int_field("sampleRate", &C::sample_rate, "[1000, 192000]", "Sample rate the model works at, in Hz."),
      int_field("residualLayers", &C::residual_layers, "[1, 128]", "Residual layers of the speech network."),
      int_field("residualChannels", &C::residual_channels, "[1, 1024]", "Channels of each residual layer."),
      int_field("dilationCycle", &C::dilation_cycle, "[1, 16]",
                "Dilations cycle through 1, 2, ..., 2^(dilationCycle − 1)."),
      int_field("nFft", &C::n_fft, "[16, 8192]", "FFT size of the conditioner's spectrogram."),
      int_field("hop", &C::hop, "[1, 8192]", "Hop between spectrogram frames, in samples (at most nFft)."),
      choice_field("upsampler", &C::upsampler, {"transposed", "repeat"},
                   "`transposed`: CDiffuSE's learned ×256 upsampler (hop 256); `repeat`: frames repeated to "
                   "sample rate, which lets the per-layer projections run at frame rate (hop× cheaper)."),
      int_field("embeddingHidden", &C::embedding_hidden, "[1, 4096]", "Width of the step-embedding MLP."),
      int_field("encoderWidth", &C::encoder_width, "[1, 256]",
                "First-stage width of the Prior and Posterior encoders (the paper's Tiny 8, Base 16, Large 32)."),
      int_field("encoderBlocks", &C::encoder_blocks, "[1, 16]", "Residual blocks per encoder stage (ResNet-20: 3)."),
      number_field("logVarMin", &C::log_var_min, "[-30, 0)", "Soft lower bound of log σ²."),
      number_field("logVarMax", &C::log_var_max, "(0, 30]", "Soft upper bound of log σ²."),
      number_field("priorgradFloor", &C::priorgrad_floor, "(0, 1]", "PriorGrad's lower bound on σ."),
      number_field("noiseScale", &C::noise_scale, "[0.001, 1000]",
                   "σ of the standard prior's noise, N(0, σ²I) (1: CDiffuSE); other values make the "
                   "fixed-scale control that separates what a learned Σ adds beyond the signal's scale."),
      int_field("trainSteps", &C::train_steps, "[2, 10000]", "Diffusion steps of the training schedule."),
      number_field("betaStart", &C::beta_start, "(0, 1)", "First β of the linear training schedule."),
      number_field("betaEnd", &C::beta_end, "(0, 1)", "Last β of the linear training schedule (at least betaStart)."),
      list_field("fastBetas", &C::fast_betas, "(0, 1)", 1, 10000,
                 "The fast inference schedule of speech models (β per step): `steps: 6` for the presets."),
      list_field("fast3Betas", &C::fast3_betas, "(0, 1)", 1, 10000,
                 "The fastest inference schedule of speech models (β per step): `steps: 3` for the presets."),
      number_field("outputBlend", &C::output_blend, "[0, 1)",
                   "Share of the degraded input mixed into the output (CDiffuSE: 0.2)."),
      choice_field("speechTarget", &C::speech_target, {"epsilon", "x0", "v"},
                   "What the speech network predicts: `epsilon`, CDiffuSE's combined noise g; `x0`, the clean "
                   "signal; or `v` = √ᾱ·g − √(1−ᾱ)·x0. The sampler derives the noise and clean estimates from "
                   "whichever it is."),
      choice_field("speechObjective", &C::speech_objective, {"diffusion", "regression"},
                   "`diffusion` (CDiffuSE's process), or `regression`: no diffusion, the network maps the noisy "
                   "input to the clean signal in one pass, trained on the squared error (prior `standard` only): "
                   "the control that says what the network and data reach alone."),
      bool_field("noisyInput", &C::noisy_input,
                 "The noisy waveform as a second input channel of the speech network, beside x_t (DOSE)."),
      number_field("condDropout", &C::cond_dropout, "[0, 1)",
                   "Share of speech training examples whose conditioner (spectrogram and noisy channel) is "
                   "zeroed, so that the network must learn to use it (DOSE)."),
      number_field("signalRms", &C::signal_rms, "[1e-6, 1000]",
                   "RMS that speech is scaled to before the network sees it: each input of `restore()` as a "
                   "whole (the result is scaled back), and each training crop pair by the gain of its degraded "
                   "crop."),
      number_field("eta", &C::eta, "[0, 1000000]", "Weight η of the latent-regularisation term L_LR."),
      number_field("lambda", &C::lambda, "[0, 1000000]", "Weight λ of the prior-matching term L_PM."),
      number_field("lrScale", &C::lr_scale, "[1e-6, 1000000]",
                   "L_LR = lrScale·ᾱ_T·‖x0‖²_{Σ⁻¹} + log|Σ| is smallest at σ² = lrScale·ᾱ_T·x0²: the scale moves "
                   "that optimum where the diffusion needs it (1: the paper's L_LR)."),
      choice_field("priorBase", &C::prior_base, {"standard", "priorgrad"},
                   "Learned prior only: what the encoders' log σ² corrects. `standard`: the constant "
                   "2·log(noiseScale) (the paper at noiseScale 1); `priorgrad`: PriorGrad's handcrafted map, so "
                   "that training starts exactly as PriorGrad. logVarMin and logVarMax then bound the correction."),
      int_field("sigmaBlock", &C::sigma_block, "[1, 4096]",
                "Learned prior only: log σ² of both encoders averaged over blocks of this many samples (speech) "
                "or pixels a side (images), so that Σ is a degradation map rather than per-sample noise (1: off)."),
      int_field("imageChannels", &C::image_channels, "[1, 3]", "Image channels: 3 (RGB) or 1 (grey)."),
      int_field("patchSize", &C::patch_size, "[4, 512]",
                "Side of the square training and sampling patches, a multiple of 2^(levels − 1)."),
      int_field("unetWidth", &C::unet_width, "[1, 512]", "Base width of the image UNet."),
      list_field("unetMultipliers", &C::unet_multipliers, "[1, 16]", 1, 7,
                 "UNet width per level, as multiples of unetWidth; one level per entry, each but the last "
                 "halves the side."),
      int_field("unetResBlocks", &C::unet_res_blocks, "[1, 8]", "Residual blocks per UNet level."),
      list_field("attentionResolutions", &C::attention_resolutions, "[1, 512]", 0, 8,
                 "Patch sides (in pixels, at most patchSize) of the UNet levels that get self-attention."),
      int_field("ddimSteps", &C::ddim_steps, "[1, 10000]",
                "Default DDIM sampling steps for images (WeatherDiff: 25; at most trainSteps)."),
      int_field("ddimFastSteps", &C::ddim_fast_steps, "[1, 10000]",
                "Fast DDIM sampling steps for images (RestoreGrad: 10; at most trainSteps)."),
      number_field("ddimEta", &C::ddim_eta, "[0, 1]", "DDIM η: 0 deterministic, 1 DDPM-like ancestral noise."),
      int_field("patchStride", &C::patch_stride, "[1, 512]",
                "Stride of the overlapping patch grid when restoring whole images (at most patchSize)."),
      choice_field("imageTarget", &C::image_target, {"epsilon", "x0", "v"},
                   "What the image UNet predicts: `epsilon`, the noise (WeatherDiff); `x0`, the clean image; or "
                   "`v` = √ᾱ·ε − √(1−ᾱ)·x0 (Salimans & Ho), whose target still carries the clean image where the "
                   "noise dominates."),
      number_field("lr", &C::lr, "(0, 1)", "Default Adam learning rate."),
      number_field("gradClip", &C::grad_clip, "[0, 1000000000]", "Gradient-norm clipping threshold (0: none)."),
      number_field("emaDecay", &C::ema_decay, "[0, 1)",
                   "Decay of the exponential moving average of the weights used for restoration."),
  };
}

// Integers as integers, other numbers in the shortest form that reads back the same.
std::string format_number(double x) {
  char buf[32];
  if (x == std::floor(x) && std::fabs(x) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::stod(buf) == x) break;
  }
  return buf;
}

bool in_range(const FieldSpec& s, double x, bool integer) {
  if (!std::isfinite(x) || (integer && x != std::floor(x))) return false;
  return (s.min_open ? x > s.min : x >= s.min) && (s.max_open ? x < s.max : x <= s.max);
}

}  // namespace

const std::vector<FieldSpec>& config_fields() {
  static const std::vector<FieldSpec> table = make_fields();
  return table;
}

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::Int: return "int";
    case FieldType::Number: return "number";
    case FieldType::Boolean: return "boolean";
    case FieldType::Choice: return "choice";
    case FieldType::IntList: return "int[]";
    case FieldType::NumberList: return "number[]";
  }
  return "?";
}

std::string describe(const FieldSpec& s) {
  const auto interval = std::string(s.min_open ? "(" : "[") + format_number(s.min) + ", " + format_number(s.max) +
                        (s.max_open ? ")" : "]");
  switch (s.type) {
    case FieldType::Int: return "an integer in " + interval;
    case FieldType::Number: return "a number in " + interval;
    case FieldType::Boolean: return "true or false";
    case FieldType::Choice: {
      std::string out = "one of ";
      for (size_t i = 0; i < s.choices.size(); ++i) out += (i ? ", '" : "'") + s.choices[i] + "'";
      return out;
    }
    case FieldType::IntList:
    case FieldType::NumberList:
      return "a list of " + std::to_string(s.min_length) + " to " + std::to_string(s.max_length) +
             (s.type == FieldType::IntList ? " integers in " : " numbers in ") + interval;
  }
  return "?";
}

void check_field(const FieldSpec& s, const json::Value& v) {
  bool ok = false;
  switch (s.type) {
    case FieldType::Int:
    case FieldType::Number: ok = v.is_number() && in_range(s, v.as_number(), s.type == FieldType::Int); break;
    case FieldType::Boolean: ok = v.is_bool(); break;
    case FieldType::Choice:
      ok = v.is_string() && std::find(s.choices.begin(), s.choices.end(), v.as_string()) != s.choices.end();
      break;
    case FieldType::IntList:
    case FieldType::NumberList: {
      ok = v.is_array() && v.as_array().size() >= s.min_length && v.as_array().size() <= s.max_length;
      for (size_t i = 0; ok && i < v.as_array().size(); ++i) {
        const auto& x = v.as_array()[i];
        ok = x.is_number() && in_range(s, x.as_number(), s.type == FieldType::IntList);
      }
      break;
    }
  }
  if (ok) return;
  std::string got;
  try {
    got = json::dump(v);
  } catch (const Error&) {
    got = "a value JSON cannot hold";
  }
  if (got.size() > 80) got = got.substr(0, 77) + "...";
  throw Error(kConfig, "config." + s.name + " must be " + describe(s) + ", got " + got);
}

}  // namespace rg
