#include "nets/unet.h"

#include <cmath>
#include <numeric>

namespace rg {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

// DDPM normalises in 32 groups; narrower test networks use the largest divisor below that.
int groups_for(int channels) {
  int g = std::min(channels, 32);
  while (channels % g != 0) --g;
  return g;
}

nn::GroupNorm group_norm(int channels) {
  return nn::GroupNorm(nn::GroupNormOptions(groups_for(channels), channels).eps(1e-6));
}

nn::Conv2d conv(int in, int out, int kernel, int stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(stride == 1 ? kernel / 2 : 0));
}

bool attends(const ModelConfig& c, int level) {
  const int side = c.patch_size >> level;
  for (int r : c.attention_resolutions)
    if (r == side) return true;
  return false;
}

int64_t conv_parameters(int64_t in, int64_t out, int64_t kernel) {
  return in * out * kernel * kernel + out;
}

int64_t res_block_parameters(int64_t in, int64_t out, int64_t embedding) {
  return 2 * in + conv_parameters(in, out, 3) + embedding * out + out + 2 * out + conv_parameters(out, out, 3) +
         (in != out ? conv_parameters(in, out, 1) : 0);
}

int64_t attention_parameters(int64_t c) {
  return 2 * c + conv_parameters(c, 3 * c, 1) + conv_parameters(c, c, 1);
}

}  // namespace

ResBlockImpl::ResBlockImpl(int in, int out, int embedding) {
  norm1 = register_module("norm1", group_norm(in));
  conv1 = register_module("conv1", conv(in, out, 3));
  step_projection = register_module("step_projection", nn::Linear(embedding, out));
  norm2 = register_module("norm2", group_norm(out));
  conv2 = register_module("conv2", conv(out, out, 3));
  if (in != out) shortcut = register_module("shortcut", conv(in, out, 1));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& step) {
  auto h = conv1->forward(F::silu(norm1->forward(x)));
  h = h + step_projection->forward(F::silu(step)).unsqueeze(2).unsqueeze(3);
  h = conv2->forward(F::silu(norm2->forward(h)));
  return (shortcut ? shortcut->forward(x) : x) + h;
}

AttentionImpl::AttentionImpl(int channels) {
  norm = register_module("norm", group_norm(channels));
  qkv = register_module("qkv", conv(channels, 3 * channels, 1));
  projection = register_module("projection", conv(channels, channels, 1));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const auto qkv_ = qkv->forward(norm->forward(x)).view({B, 3, C, H * W});
  const auto q = qkv_.select(1, 0), k = qkv_.select(1, 1), v = qkv_.select(1, 2);
  const auto weights = torch::softmax(torch::bmm(q.transpose(1, 2), k) / std::sqrt(static_cast<double>(C)), 2);
  const auto h = torch::bmm(v, weights.transpose(1, 2)).view({B, C, H, W});  // out[:, i] = Σ_j w[i, j] v[:, j]
  return x + projection->forward(h);
}

UNetImpl::UNetImpl(const ModelConfig& c)
    : width(c.unet_width), blocks_per_level(c.unet_res_blocks), levels(c.unet_levels()) {
  const int E = 4 * width;
  embed1 = register_module("embed1", nn::Linear(width, E));
  embed2 = register_module("embed2", nn::Linear(E, E));
  input_conv = register_module("input_conv", conv(2 * c.image_channels, width, 3));
  down = register_module("down", nn::ModuleList());
  up = register_module("up", nn::ModuleList());

  // Channels of every tensor the down path leaves for the up path's skip connections.
  std::vector<int> skips = {width};
  int channels = width;
  for (int i = 0; i < levels; ++i) {
    Level level;
    level->blocks = level->register_module("blocks", nn::ModuleList());
    level->attentions = level->register_module("attentions", nn::ModuleList());
    const int out = width * c.unet_multipliers[i];
    for (int b = 0; b < blocks_per_level; ++b) {
      level->blocks->push_back(ResBlock(channels, out, E));
      if (attends(c, i)) level->attentions->push_back(Attention(out));
      channels = out;
      skips.push_back(channels);
    }
    if (i + 1 < levels) {
      level->resample = level->register_module("resample", conv(channels, channels, 3, 2));
      skips.push_back(channels);
    }
    down->push_back(level);
  }
  mid1 = register_module("mid1", ResBlock(channels, channels, E));
  mid_attention = register_module("mid_attention", Attention(channels));
  mid2 = register_module("mid2", ResBlock(channels, channels, E));
  std::vector<Level> up_levels(levels, nullptr);
  for (int i = levels - 1; i >= 0; --i) {
    Level level;
    level->blocks = level->register_module("blocks", nn::ModuleList());
    level->attentions = level->register_module("attentions", nn::ModuleList());
    const int out = width * c.unet_multipliers[i];
    for (int b = 0; b <= blocks_per_level; ++b) {
      level->blocks->push_back(ResBlock(channels + skips.back(), out, E));
      skips.pop_back();
      if (attends(c, i)) level->attentions->push_back(Attention(out));
      channels = out;
    }
    if (i > 0) level->resample = level->register_module("resample", conv(channels, channels, 3));
    up_levels[i] = level;
  }
  for (auto& level : up_levels) up->push_back(level);
  output_norm = register_module("output_norm", group_norm(channels));
  output_conv = register_module("output_conv", conv(channels, c.image_channels, 3));
  // A zero output layer: training starts from ε̂ = 0, as the speech network does.
  torch::NoGradGuard no_grad;
  output_conv->weight.zero_();
  output_conv->bias.zero_();
}

torch::Tensor UNetImpl::embed(const torch::Tensor& t) {
  // DDPM's sinusoidal embedding: half sines, half cosines, frequencies 10000^(−i/(half − 1)).
  const int half = width / 2;
  const auto tf = t.to(torch::kFloat32).to(embed1->weight.device()).unsqueeze(1);
  const auto freq = torch::exp(torch::arange(half, tf.options()) * (-std::log(10000.0) / std::max(half - 1, 1)));
  auto emb = torch::cat({torch::sin(tf * freq), torch::cos(tf * freq)}, 1);
  if (width % 2 == 1) emb = F::pad(emb, F::PadFuncOptions({0, 1}));
  return embed2->forward(F::silu(embed1->forward(emb)));
}

torch::Tensor UNetImpl::forward_embedded(const torch::Tensor& x_t, const torch::Tensor& y, const torch::Tensor& step) {
  const int64_t H = x_t.size(2), W = x_t.size(3), m = int64_t{1} << (levels - 1);
  const int64_t pad_h = (m - H % m) % m, pad_w = (m - W % m) % m;
  auto x = torch::cat({y, x_t}, 1);
  if (pad_h || pad_w) x = F::pad(x, F::PadFuncOptions({0, pad_w, 0, pad_h}).mode(torch::kReplicate));

  std::vector<torch::Tensor> skips = {input_conv->forward(x)};
  for (int i = 0; i < levels; ++i) {
    auto& level = *down[i]->as<Level>();
    for (int b = 0; b < blocks_per_level; ++b) {
      auto h = level.blocks[b]->as<ResBlock>()->forward(skips.back(), step);
      if (!level.attentions->is_empty()) h = level.attentions[b]->as<Attention>()->forward(h);
      skips.push_back(h);
    }
    // DDPM's downsampling: pad right and bottom by one, 3×3 conv of stride 2.
    if (level.resample) skips.push_back(level.resample->forward(F::pad(skips.back(), F::PadFuncOptions({0, 1, 0, 1}))));
  }
  auto h = mid2->forward(mid_attention->forward(mid1->forward(skips.back(), step)), step);
  for (int i = levels - 1; i >= 0; --i) {
    auto& level = *up[i]->as<Level>();
    for (int b = 0; b <= blocks_per_level; ++b) {
      h = level.blocks[b]->as<ResBlock>()->forward(torch::cat({h, skips.back()}, 1), step);
      skips.pop_back();
      if (!level.attentions->is_empty()) h = level.attentions[b]->as<Attention>()->forward(h);
    }
    if (level.resample)
      h = level.resample->forward(F::interpolate(
          h, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
  }
  h = output_conv->forward(F::silu(output_norm->forward(h)));
  return pad_h || pad_w ? h.narrow(2, 0, H).narrow(3, 0, W) : h;
}

int64_t unet_parameters(const ModelConfig& c) {
  const int64_t width = c.unet_width, E = 4 * width, levels = c.unet_levels(), blocks = c.unet_res_blocks;
  int64_t n = (width * E + E) + (E * E + E) + conv_parameters(2 * c.image_channels, width, 3);
  std::vector<int64_t> skips = {width};
  int64_t channels = width;
  for (int i = 0; i < levels; ++i) {
    const int64_t out = width * c.unet_multipliers[i];
    for (int b = 0; b < blocks; ++b) {
      n += res_block_parameters(channels, out, E) + (attends(c, i) ? attention_parameters(out) : 0);
      channels = out;
      skips.push_back(channels);
    }
    if (i + 1 < levels) {
      n += conv_parameters(channels, channels, 3);
      skips.push_back(channels);
    }
  }
  n += 2 * res_block_parameters(channels, channels, E) + attention_parameters(channels);
  for (int64_t i = levels - 1; i >= 0; --i) {
    const int64_t out = width * c.unet_multipliers[i];
    for (int b = 0; b <= blocks; ++b) {
      n += res_block_parameters(channels + skips.back(), out, E) + (attends(c, i) ? attention_parameters(out) : 0);
      skips.pop_back();
      channels = out;
    }
    if (i > 0) n += conv_parameters(channels, channels, 3);
  }
  return n + 2 * channels + conv_parameters(channels, c.image_channels, 3);
}

}  // namespace rg
