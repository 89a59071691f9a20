// WeatherDiff's patch UNet ε-network (the DDPM/DDIM UNet of Ho et al. and Song et al.): residual
// blocks with GroupNorm + SiLU and a timestep embedding, self-attention at the configured
// resolutions, skip connections between the down and up paths. Conditioned by concatenating the
// degraded patch y with x_t as input channels.
#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "config.h"

namespace rg {

struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(int in, int out, int embedding);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& step);  // step: [B or 1, embedding]

  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};  // shortcut: 1×1 where widths change
  torch::nn::Linear step_projection{nullptr};
};
TORCH_MODULE(ResBlock);

// Single-head self-attention over all positions of a feature map, with a residual connection.
struct AttentionImpl : torch::nn::Module {
  explicit AttentionImpl(int channels);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Conv2d qkv{nullptr}, projection{nullptr};
};
TORCH_MODULE(Attention);

// One resolution of the down or up path: residual blocks, attention after each when `attend`,
// then a resampling conv (stride-2 down, or nearest ×2 then conv up) unless it is the end.
struct LevelImpl : torch::nn::Module {
  torch::nn::ModuleList blocks, attentions;
  torch::nn::Conv2d resample{nullptr};
};
TORCH_MODULE(Level);

struct UNetImpl : torch::nn::Module {
  explicit UNetImpl(const ModelConfig& config);

  // t [N] (training steps, may be fractional) → step embeddings [N, 4·width]: once per schedule.
  torch::Tensor embed(const torch::Tensor& t);
  // x_t, y: [B, C, H, W] of any size (padded inside to a multiple of 2^(levels − 1), cropped
  // back); step: [B or 1, 4·width] from embed(). Returns ε̂ [B, C, H, W].
  torch::Tensor forward_embedded(const torch::Tensor& x_t, const torch::Tensor& y, const torch::Tensor& step);
  torch::Tensor forward(const torch::Tensor& x_t, const torch::Tensor& y, const torch::Tensor& t) {
    return forward_embedded(x_t, y, embed(t));
  }

  int width, blocks_per_level, levels;
  torch::nn::Linear embed1{nullptr}, embed2{nullptr};
  torch::nn::Conv2d input_conv{nullptr}, output_conv{nullptr};
  torch::nn::ModuleList down, up;  // Levels, finest first in both
  ResBlock mid1{nullptr}, mid2{nullptr};
  Attention mid_attention{nullptr};
  torch::nn::GroupNorm output_norm{nullptr};
};
TORCH_MODULE(UNet);

// The parameter count of UNet(config), from the layer sizes alone (no allocation): checkpoints
// use it to reject files too small for the model their config describes.
int64_t unet_parameters(const ModelConfig& config);

}  // namespace rg
