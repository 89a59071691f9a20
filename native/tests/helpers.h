// Shared fixtures of the native tests: small configurations and the device under test.
#pragma once
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>

#include "config.h"

namespace rgtest {

// RG_DEVICE=cuda runs the tests on a GPU; the default is the CPU.
inline torch::Device device() {
  const char* d = std::getenv("RG_DEVICE");
  return torch::Device(d && *d ? d : "cpu");
}

// A few thousand parameters: milliseconds a step.
inline rg::ModelConfig tiny(rg::PriorKind prior) {
  rg::ModelConfig c;
  c.prior = prior;
  c.residual_layers = 4;
  c.residual_channels = 8;
  c.dilation_cycle = 4;
  c.n_fft = 64;
  c.hop = 16;
  c.upsampler = "repeat";
  c.embedding_hidden = 32;
  c.encoder_width = 4;
  c.encoder_blocks = 1;
  return c;
}

// The image-tiny preset of lib/config.ts: a 16×16-patch UNet of width 16, tens of ms a step.
inline rg::ModelConfig image_tiny(rg::PriorKind prior) {
  rg::ModelConfig c = rg::default_config(rg::Modality::Image);
  c.prior = prior;
  c.patch_size = 16;
  c.patch_stride = 8;
  c.unet_width = 16;
  c.unet_multipliers = {1, 2};
  c.unet_res_blocks = 1;
  c.attention_resolutions = {8};
  c.encoder_width = 4;
  c.encoder_blocks = 1;
  c.lr = 1e-3;
  return c;
}

// The largest configuration validation accepts: about 2.8 billion parameters.
inline rg::ModelConfig largest() {
  rg::ModelConfig c = tiny(rg::PriorKind::Learned);
  c.residual_layers = 128;
  c.residual_channels = 1024;
  c.n_fft = 8192;
  c.embedding_hidden = 4096;
  c.encoder_width = 256;
  c.encoder_blocks = 16;
  return c;
}

// A clean tone and a noisy copy, [B, T].
inline std::pair<torch::Tensor, torch::Tensor> tone_pair(int64_t batch, int64_t length, uint64_t seed = 7) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto t = torch::arange(length, torch::kFloat32).unsqueeze(0).repeat({batch, 1});
  const auto phase = torch::rand({batch, 1}, gen) * 6.28;
  const auto clean = 0.3 * torch::sin(t * 0.05 + phase);
  const auto noisy = clean + 0.1 * torch::randn({batch, length}, gen);
  return {clean, noisy};
}

}  // namespace rgtest
