#include "helpers.h"
#include "model.h"
#include "nets/fused.h"
#include "nets/wavenet.h"
#include "test.h"

using rg::PriorKind;

namespace {

// σ(a + c_a) · tanh(b + c_b) in float64 with tensor ops, the conditioner held `repeat` samples.
torch::Tensor reference_gate(const torch::Tensor& z, const torch::Tensor& cond, int64_t repeat) {
  const auto c = cond.to(torch::kFloat64).repeat_interleave(repeat, 2);
  const auto y = (z.to(torch::kFloat64) + c).chunk(2, 1);
  return torch::sigmoid(y[0]) * torch::tanh(y[1]);
}

double max_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b).abs().max().item<double>();
}

}  // namespace

TEST_CASE("gate: the fused pass equals σ(a + c)·tanh(b + c) in float64, for every conditioner layout") {
  torch::manual_seed(0);
  // Wide pre-activations reach the tails where exp over- and underflows.
  const auto z = 8 * torch::randn({2, 6, 512});
  const auto cond = torch::randn({2, 6, 512});
  CHECK(max_error(rg::fused_gate(z, cond, 1), reference_gate(z, cond, 1)) < 1e-6);
  // bfloat16 conditioner values are widened exactly.
  const auto cond16 = cond.to(torch::kBFloat16);
  CHECK(max_error(rg::fused_gate(z, cond16, 1), reference_gate(z, cond16, 1)) < 1e-6);
  const auto z16 = z.to(torch::kBFloat16);
  CHECK(max_error(rg::fused_gate(z16, cond16, 1), reference_gate(z16, cond16, 1)) < 1e-6);
  // Frame-rate terms held over 64 samples; a strided view of a larger cache, as the sampler passes.
  const auto cache = torch::randn({2, 18, 8});
  const auto frames = cache.narrow(1, 6, 6);
  CHECK(max_error(rg::fused_gate(z, frames, 64), reference_gate(z, frames, 64)) < 1e-6);
  CHECK(torch::isfinite(rg::fused_gate(1e4 * z, cond, 1)).all().item<bool>());
  CHECK_THROWS_CODE(rg::fused_gate(z, cond.narrow(2, 0, 256), 1), rg::kNative);
}

TEST_CASE("residual: the fused update equals its float64 formula, first layer, bf16 input and last layer") {
  torch::manual_seed(2);
  const auto x0 = torch::randn({2, 3, 100}), skip0 = torch::randn({2, 3, 100});
  const auto r = torch::randn({2, 6, 100}), bias = torch::randn({6}), step = torch::randn({1, 3});
  for (const bool bf16 : {false, true}) {
    const auto rr = bf16 ? r.to(torch::kBFloat16) : r;
    const auto r64 = rr.to(torch::kFloat64) + bias.to(torch::kFloat64).view({1, 6, 1});
    const auto want_x = (x0.to(torch::kFloat64) + r64.narrow(1, 0, 3)) * M_SQRT1_2;
    auto x = x0.clone(), skip = skip0.clone();
    const auto next = rg::fused_residual(x, skip, rr, bias, step);
    CHECK(max_error(x, want_x) < 1e-5);
    CHECK(max_error(skip, skip0.to(torch::kFloat64) + r64.narrow(1, 3, 3)) < 1e-5);
    CHECK(max_error(next, want_x + step.to(torch::kFloat64).unsqueeze(2)) < 1e-5);
    auto x1 = x0.clone();
    torch::Tensor fresh;  // the first layer creates the skip sum; the last returns no next input
    CHECK(!rg::fused_residual(x1, fresh, rr, bias, torch::Tensor()).defined());
    CHECK(max_error(fresh, r64.narrow(1, 3, 3)) < 1e-5);
  }
  auto x = x0.clone(), skip = skip0.clone();
  CHECK_THROWS_CODE(rg::fused_residual(x, skip, r.narrow(2, 0, 50), bias, step), rg::kNative);
}

TEST_CASE("gate: inference (fused) and training (tensor ops) forward passes agree, for both upsamplers") {
  for (const char* upsampler : {"repeat", "transposed"}) {
    auto cfg = rgtest::tiny(PriorKind::Standard);
    cfg.upsampler = upsampler;
    cfg.hop = 256;
    cfg.n_fft = 512;
    rg::Model m(cfg, torch::kCPU, 4);
    auto& net = m.denoiser();
    {
      torch::NoGradGuard no_grad;
      net->final_projection->weight.normal_(0, 0.3);  // so that the stack's arithmetic shows
    }
    const auto x = 0.3 * torch::randn({2, 2048});
    const auto spec = torch::randn({2, cfg.cond_bins(), 8});
    const auto t = torch::tensor({10.0, 40.0});
    const auto trained = net->forward(x, spec, t);  // grad mode: tensor ops
    CHECK(!rg::can_fuse(x));
    c10::InferenceMode inference;
    CHECK(rg::can_fuse(x));
    const auto inferred = net->forward(x, spec, t);
    CHECK(torch::allclose(trained.detach(), inferred, 1e-4, 1e-5));
  }
}

TEST_CASE("upsampler: the GEMM and overlap-add form equals the transposed convolution") {
  torch::manual_seed(1);
  const auto o = torch::nn::ConvTranspose2dOptions(1, 1, {3, 32}).stride({1, 16}).padding({1, 8});
  torch::nn::ConvTranspose2d up(o);
  const auto s = torch::randn({2, 9, 5});
  const auto want = up->forward(s.unsqueeze(1)).squeeze(1);
  const auto got = rg::upsample16(s, up);
  CHECK(got.sizes() == want.sizes());
  CHECK(torch::allclose(got, want, 1e-5, 1e-6));
}
