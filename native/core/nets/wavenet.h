// CDiffuSE's ε-network (DiffWave's residual stack) split at the step boundary: the conditioner
// path and the step embeddings can be computed once, then reused by every reverse step.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "config.h"

namespace rg {

// The conditioner's contribution, computed once per batch. `projected`: every layer's 1×1
// projection is done ([B, L·2C, ·]); otherwise only the upsampled spectrogram is kept
// ([B, bins, T], L·2C/bins times smaller) and each step projects it again.
struct Conditioning {
  torch::Tensor values;
  bool projected = true;
  // bfloat16 inference: the projections and each layer's convolutions (the bulk of the arithmetic)
  // run as bf16 GEMMs, on these weight matrices: dilated [2C, 3C] (the three taps side by side,
  // for an im2col input), output [2C, C]. Everything else stays float32. The dilated
  // convolutions' biases are folded into the conditioner term, `bias` [L·2C] (float32).
  bool bf16 = false;
  std::vector<torch::Tensor> dilated_weight, output_weight;
  torch::Tensor bias;
  // The noisy waveform's input-channel term [B, C, T] (noisyInput models), added to x_t's.
  torch::Tensor noisy;
};

struct WaveNetImpl : torch::nn::Module {
  explicit WaveNetImpl(const ModelConfig& config);

  // spec [B, bins, F] → per-layer conditioner terms, all layers in one GEMM:
  // [B, L·2C, F·hop] for the transposed upsampler, [B, L·2C, F] (frame rate) for "repeat".
  // With `project` false (transposed upsampler only) the projections are left to each step.
  // `bf16` (inference only) computes and keeps the projections in bfloat16 and prepares the bf16
  // weights forward_cached() then uses.
  // `noisy` [B, T]: the noisy waveform, for noisyInput models (else ignored).
  Conditioning condition(const torch::Tensor& spec, bool project = true, bool bf16 = false,
                         const torch::Tensor& noisy = {});
  // t [N] (fractional training steps) → per-layer step terms [N, L, C].
  torch::Tensor step_terms(const torch::Tensor& t);
  // x [B, T]; cond from condition(); steps [B or 1, L, C] from step_terms(). Returns ε̂ [B, T].
  torch::Tensor forward_cached(const torch::Tensor& x, const Conditioning& cond, const torch::Tensor& steps);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& spec, const torch::Tensor& t,
                        const torch::Tensor& noisy = {}) {
    return forward_cached(x, condition(spec, true, false, noisy), step_terms(t));
  }

  int layers, channels, hop;
  bool repeat_upsampler;
  torch::Tensor embedding_table;  // [T, 128] sinusoidal, a buffer
  torch::nn::Conv1d input_projection{nullptr};
  torch::nn::Conv1d noisy_projection{nullptr};  // noisyInput models: the noisy waveform's 1×1, no bias
  torch::nn::Linear embed1{nullptr}, embed2{nullptr};
  torch::nn::ConvTranspose2d up1{nullptr}, up2{nullptr};
  torch::nn::Conv1d cond_projection{nullptr};  // bins → L·2C
  torch::nn::Linear step_projection{nullptr};  // 512 → L·C
  torch::nn::ModuleList dilated, output;       // per layer: C → 2C (k3), C → 2C (1×1)
  torch::nn::Conv1d skip_projection{nullptr}, final_projection{nullptr};
};
TORCH_MODULE(WaveNet);

// up(s.unsqueeze(1)).squeeze(1) for CDiffuSE's upsampler, ConvTranspose2d(1, 1, (3, 32), stride
// (1, 16), padding (1, 8)): [B, H, F] → [B, H, 16·F]. Written as a small GEMM and an overlap-add,
// about ten times faster than LibTorch's CPU transposed convolution, and differentiable.
torch::Tensor upsample16(const torch::Tensor& s, const torch::nn::ConvTranspose2d& up);

}  // namespace rg
