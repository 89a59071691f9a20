#include "nets/wavenet.h"

#include <cmath>

#include "nets/fused.h"

namespace rg {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

// DiffWave's table: step · 10^(4·d/63) for d < 64, as [sin, cos].
torch::Tensor sinusoidal_table(int steps) {
  const auto t = torch::arange(steps, torch::kFloat32).unsqueeze(1);
  const auto d = torch::arange(64, torch::kFloat32).unsqueeze(0);
  const auto table = t * torch::pow(10.0, d * 4.0 / 63.0);
  return torch::cat({torch::sin(table), torch::cos(table)}, 1);
}

// w [M, K] times each item of x [B, K, N] → [B, M, N]: one GEMM per item, about twice as fast as
// a broadcast batched matmul for bf16 on the CPU.
torch::Tensor mm_per_item(const torch::Tensor& w, const torch::Tensor& x) {
  auto out = torch::empty({x.size(0), w.size(0), x.size(2)}, x.options());
  for (int64_t b = 0; b < x.size(0); ++b) {
    auto item = out.select(0, b);
    at::mm_out(item, w, x.select(0, b));
  }
  return out;
}

}  // namespace

torch::Tensor upsample16(const torch::Tensor& s, const torch::nn::ConvTranspose2d& up) {
  const int64_t B = s.size(0), H = s.size(1), frames = s.size(2);
  // Frequency taps: out[h] = w0·s[h+1] + w1·s[h] + w2·s[h−1], each a 32-sample kernel.
  const auto p = F::pad(s, F::PadFuncOptions({0, 0, 1, 1}));
  const auto taps = torch::stack({p.narrow(1, 2, H), p.narrow(1, 1, H), p.narrow(1, 0, H)}, 3);
  const auto kernels = torch::matmul(taps, up->weight.view({3, 32}));  // [B, H, frames, 32]
  // Overlap-add at stride 16: output block j is the first half of frame j's kernel plus the
  // second half of frame j − 1's; the padding of 8 trims half a block at each end.
  const auto blocks = F::pad(kernels.narrow(3, 0, 16), F::PadFuncOptions({0, 0, 0, 1})) +
                      F::pad(kernels.narrow(3, 16, 16), F::PadFuncOptions({0, 0, 1, 0}));
  return blocks.view({B, H, (frames + 1) * 16}).narrow(2, 8, frames * 16) + up->bias;
}

WaveNetImpl::WaveNetImpl(const ModelConfig& c)
    : layers(c.residual_layers), channels(c.residual_channels), hop(c.hop), repeat_upsampler(c.upsampler == "repeat") {
  const int C = channels, L = layers;
  embedding_table = register_buffer("embedding_table", sinusoidal_table(c.train_steps));
  input_projection = register_module("input_projection", nn::Conv1d(nn::Conv1dOptions(1, C, 1)));
  if (c.noisy_input)
    noisy_projection = register_module("noisy_projection", nn::Conv1d(nn::Conv1dOptions(1, C, 1).bias(false)));
  embed1 = register_module("embed1", nn::Linear(128, c.embedding_hidden));
  embed2 = register_module("embed2", nn::Linear(c.embedding_hidden, c.embedding_hidden));
  if (!repeat_upsampler) {
    const auto up = nn::ConvTranspose2dOptions(1, 1, {3, 32}).stride({1, 16}).padding({1, 8});
    up1 = register_module("up1", nn::ConvTranspose2d(up));
    up2 = register_module("up2", nn::ConvTranspose2d(up));
  }
  cond_projection = register_module("cond_projection", nn::Conv1d(nn::Conv1dOptions(c.cond_bins(), L * 2 * C, 1)));
  step_projection = register_module("step_projection", nn::Linear(c.embedding_hidden, L * C));
  dilated = register_module("dilated", nn::ModuleList());
  output = register_module("output", nn::ModuleList());
  for (int i = 0; i < L; ++i) {
    const int dilation = 1 << (i % c.dilation_cycle);
    dilated->push_back(nn::Conv1d(nn::Conv1dOptions(C, 2 * C, 3).padding(dilation).dilation(dilation)));
    output->push_back(nn::Conv1d(nn::Conv1dOptions(C, 2 * C, 1)));
  }
  skip_projection = register_module("skip_projection", nn::Conv1d(nn::Conv1dOptions(C, C, 1)));
  final_projection = register_module("final_projection", nn::Conv1d(nn::Conv1dOptions(C, 1, 1)));
  // DiffWave's initialisation: Kaiming for convolutions, a zero output layer.
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv1d>()) nn::init::kaiming_normal_(conv->weight);
  }
  torch::NoGradGuard no_grad;
  final_projection->weight.zero_();
  final_projection->bias.zero_();
}

Conditioning WaveNetImpl::condition(const torch::Tensor& spec, bool project, bool bf16, const torch::Tensor& noisy) {
  auto s = spec;
  if (!repeat_upsampler) {
    const auto leaky = F::LeakyReLUFuncOptions().negative_slope(0.4);
    s = F::leaky_relu(upsample16(F::leaky_relu(upsample16(s, up1), leaky), up2), leaky);
  }
  Conditioning c;
  c.bf16 = bf16;
  if (noisy_projection && noisy.defined()) c.noisy = noisy_projection->forward(noisy.unsqueeze(1));
  c.bias = cond_projection->bias;
  if (bf16) {
    std::vector<torch::Tensor> dilated_bias;
    for (int i = 0; i < layers; ++i) {
      const auto* d = dilated[i]->as<nn::Conv1d>();
      c.dilated_weight.push_back(
          d->weight.permute({0, 2, 1}).reshape({2 * channels, 3 * channels}).to(torch::kBFloat16));
      c.output_weight.push_back(output[i]->as<nn::Conv1d>()->weight.squeeze(2).to(torch::kBFloat16));
      dilated_bias.push_back(d->bias);
    }
    c.bias = c.bias + torch::cat(dilated_bias);
  }
  c.projected = project || repeat_upsampler;
  if (!c.projected) {
    c.values = s;
  } else if (bf16) {
    const auto w = cond_projection->weight.squeeze(2).to(torch::kBFloat16);
    c.values = mm_per_item(w, s.to(torch::kBFloat16)).add_(c.bias.view({1, -1, 1}).to(torch::kBFloat16));
  } else {
    c.values = cond_projection->forward(s);
  }
  return c;
}

torch::Tensor WaveNetImpl::step_terms(const torch::Tensor& t) {
  // Fractional steps interpolate between neighbouring table rows (fast schedules).
  const auto tf = t.to(torch::kFloat32).to(embedding_table.device());
  const auto lo = tf.floor().clamp(0, embedding_table.size(0) - 1).to(torch::kLong);
  const auto hi = tf.ceil().clamp(0, embedding_table.size(0) - 1).to(torch::kLong);
  const auto frac = (tf - lo.to(torch::kFloat32)).unsqueeze(1);
  const auto lo_row = embedding_table.index_select(0, lo);
  const auto emb = lo_row + (embedding_table.index_select(0, hi) - lo_row) * frac;
  const auto h = F::silu(embed2->forward(F::silu(embed1->forward(emb))));
  return step_projection->forward(h).view({-1, layers, channels});
}

torch::Tensor WaveNetImpl::forward_cached(const torch::Tensor& audio, const Conditioning& cond,
                                          const torch::Tensor& steps) {
  const int64_t B = audio.size(0), T = audio.size(1), C2 = 2 * channels;
  auto x = input_projection->forward(audio.unsqueeze(1));
  x = torch::relu(cond.noisy.defined() ? x + cond.noisy : x);
  torch::Tensor skip;
  const bool fuse = can_fuse(audio);
  auto y = x + steps.select(1, 0).unsqueeze(2);  // each layer's input: x plus its step term
  for (int i = 0; i < layers; ++i) {
    if (cond.bf16) {
      // The dilated convolution as one GEMM over the three shifted copies of its input.
      const int64_t d = (*dilated[i]->as<nn::Conv1d>()->options.dilation())[0];
      const auto p = F::pad(y.to(torch::kBFloat16), F::PadFuncOptions({d, d}));
      y = mm_per_item(cond.dilated_weight[i],
                      torch::cat({p.narrow(2, 0, T), p.narrow(2, d, T), p.narrow(2, 2 * d, T)}, 1));
      if (!fuse) y = y.to(torch::kFloat32);
    } else {
      y = dilated[i]->as<nn::Conv1d>()->forward(y);
    }
    const auto c = cond.projected ? cond.values.narrow(1, i * C2, C2)
                                  : torch::conv1d(cond.values, cond_projection->weight.narrow(0, i * C2, C2),
                                                  cond.bias.narrow(0, i * C2, C2));
    if (fuse) {
      y = fused_gate(y, c, repeat_upsampler ? hop : 1);
    } else {
      // A frame-rate term is broadcast over each hop of samples: a repeat without a copy.
      y = repeat_upsampler ? (y.view({B, C2, T / hop, hop}) + c.unsqueeze(3)).view({B, C2, T}) : y + c;
      const auto gf = y.chunk(2, 1);
      y = torch::sigmoid(gf[0]) * torch::tanh(gf[1]);
    }
    // The output projection. Its bias goes in the fused residual pass, the convolution or an add.
    auto* out = output[i]->as<nn::Conv1d>();
    auto r = cond.bf16 ? mm_per_item(cond.output_weight[i], y.to(torch::kBFloat16))
                       : torch::conv1d(y, out->weight, fuse ? torch::Tensor() : out->bias);
    const auto next_step = i + 1 < layers ? steps.select(1, i + 1) : torch::Tensor();
    if (fuse) {
      y = fused_residual(x, skip, r, out->bias, next_step);
      continue;
    }
    if (cond.bf16) r = r + out->bias.view({1, -1, 1});
    const auto rs = r.chunk(2, 1);
    x = (x + rs[0]) * M_SQRT1_2;
    skip = i == 0 ? rs[1] : skip + rs[1];
    if (next_step.defined()) y = x + next_step.unsqueeze(2);
  }
  x = torch::relu(skip_projection->forward(skip * (1.0 / std::sqrt(static_cast<double>(layers)))));
  return final_projection->forward(x).squeeze(1);
}

}  // namespace rg
