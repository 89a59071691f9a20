// Model configuration: everything that defines a model, saved in every checkpoint.
#pragma once
#include <string>
#include <vector>

#include "json.h"

namespace rg {

enum class PriorKind { Standard, PriorGrad, Learned };
enum class Modality { Speech, Image };
// What the ε-network predicts (process.h): the noise, the clean signal, or v.
enum class Target { Epsilon, X0, V };

struct ModelConfig {
  PriorKind prior = PriorKind::Learned;
  Modality modality = Modality::Speech;
  int sample_rate = 16000;

  // ε-network (CDiffuSE / DiffWave).
  int residual_layers = 30;
  int residual_channels = 64;
  int dilation_cycle = 10;
  int n_fft = 1024;
  int hop = 256;
  // "transposed": CDiffuSE's learned ×hop upsampler; "repeat": frame-rate conditioner repeated
  // to sample rate, which lets the per-layer projections run at frame rate (hop× cheaper).
  std::string upsampler = "transposed";
  int embedding_hidden = 512;

  // Prior / posterior encoders: ResNet-20 style, widths w, 2w, 4w.
  int encoder_width = 16;
  int encoder_blocks = 3;
  double log_var_min = -6.0;
  double log_var_max = 4.0;
  double priorgrad_floor = 0.1;  // PriorGrad's lower bound on σ
  // σ of the standard prior's noise, N(0, σ²I): 1 is CDiffuSE; other values give the fixed-scale
  // control that separates what a learned Σ adds beyond matching the signal's scale.
  double noise_scale = 1.0;

  // Diffusion schedules.
  int train_steps = 50;
  double beta_start = 1e-4;
  double beta_end = 0.035;
  std::vector<double> fast_betas = {1e-4, 1e-3, 0.01, 0.05, 0.2, 0.35};
  std::vector<double> fast3_betas = {1e-3, 0.1, 0.45};
  double output_blend = 0.2;  // CDiffuSE mixes 20 % of the noisy input into the output
  // What the speech network predicts: "epsilon" (CDiffuSE's combined noise), "x0" or "v".
  std::string speech_target = "epsilon";
  // "diffusion", or "regression": no diffusion at all, the network maps y to x0 in one pass (x_t := y,
  // t := 0), trained on ‖x̂0 − x0‖². The control that says what the network and data reach alone.
  std::string speech_objective = "diffusion";
  // The noisy waveform as a second input channel of the speech network (DOSE), beside x_t.
  bool noisy_input = false;
  // Share of training examples whose conditioner (spectrogram and noisy channel) is zeroed, so
  // that the network must learn to use it (DOSE's condition dropout).
  double cond_dropout = 0.0;
  // RMS that speech inputs are scaled to for training and restoration, the result scaled back.
  double signal_rms = 0.1;

  // Joint loss weights: η·L_LR + L_DM + λ·L_PM.
  double eta = 1.0;
  double lambda = 1.0;
  // L_LR = lr_scale·ᾱ_T·‖x0‖²_{Σ⁻¹} + log|Σ| is smallest at σ² = lr_scale·ᾱ_T·x0²: the scale moves
  // that optimum (1: the paper's L_LR).
  double lr_scale = 1.0;
  // Learned prior only: what the encoders' log σ² corrects. "standard": the constant 2·log(noiseScale)
  // (0 at noiseScale 1: the paper); "priorgrad": PriorGrad's handcrafted map, so that training
  // starts exactly as PriorGrad. logVarMin/logVarMax bound the correction.
  std::string prior_base = "standard";
  // Learned prior only: log σ² of both encoders averaged over blocks of this many samples (speech)
  // or this many pixels a side (images), so that Σ is a degradation map, not per-sample noise.
  int sigma_block = 1;

  // Images: WeatherDiff's patch UNet ε-network on [-1, 1] pixels, conditioned by concatenating
  // the degraded patch with x_t. Unused by speech models. The defaults are WeatherDiff64.
  int image_channels = 3;
  int patch_size = 64;
  int unet_width = 128;
  std::vector<int> unet_multipliers = {1, 1, 2, 2, 4, 4};  // width per level, as multiples of unet_width
  int unet_res_blocks = 2;
  std::vector<int> attention_resolutions = {16};  // levels whose side (in pixels) is listed get self-attention
  // Image sampling: DDIM over every (T / steps)-th training step, patches overlapping by stride.
  int ddim_steps = 25;       // WeatherDiff
  int ddim_fast_steps = 10;  // RestoreGrad
  double ddim_eta = 0.0;     // 0: deterministic DDIM; 1: DDPM-like ancestral noise
  int patch_stride = 16;
  // What the UNet predicts: "epsilon", the noise (WeatherDiff), or "v" = √ᾱ·ε − √(1−ᾱ)·x0
  // (Salimans & Ho 2022), whose target carries x0 at large t, where ε's holds almost none of it.
  std::string image_target = "epsilon";

  // Training.
  double lr = 2e-4;
  double grad_clip = 1.0;
  double ema_decay = 0.999;

  int cond_bins() const { return n_fft / 2 + 1; }
  bool learned() const { return prior == PriorKind::Learned; }
  bool priorgrad_base() const { return prior_base == "priorgrad"; }
  bool image() const { return modality == Modality::Image; }
  bool regression() const { return !image() && speech_objective == "regression"; }
  // The prediction target of this model's modality.
  Target target() const;
  // Downsamplings of the UNet: patch sides must be multiples of 2^(levels − 1).
  int unet_levels() const { return static_cast<int>(unet_multipliers.size()); }
};

// The defaults of a modality: speech is CDiffuSE Base, image is WeatherDiff64 (T = 1000, linear β
// 1e-4..0.02). A JSON config starts from those of its "modality" field.
ModelConfig default_config(Modality modality);
const char* modality_name(Modality modality);
Modality parse_modality(const std::string& name);

const char* target_name(Target target);
Target parse_target(const std::string& name);  // throws rg::Error(kConfig)

const char* prior_name(PriorKind kind);
PriorKind parse_prior(const std::string& name);

// Throws rg::Error(kConfig) naming the first invalid or unknown field.
ModelConfig config_from_json(const json::Value& v);
json::Value config_to_json(const ModelConfig& c);
void validate(const ModelConfig& c);

}  // namespace rg
