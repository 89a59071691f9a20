// The prior's σ that both samplers return on request: its shape, that it is exactly
// exp(½·log σ²_prior) of the input the sampler worked on, the constant noiseScale of the standard
// prior, and that asking for it changes nothing of the restoration.
#include <ATen/CPUGeneratorImpl.h>

#include <memory>
#include <string>

#include "helpers.h"
#include "image_sampler.h"
#include "model.h"
#include "sampler.h"
#include "spectrogram.h"
#include "test.h"

using rg::PriorKind;
using rgtest::device;

namespace {

namespace F = torch::nn::functional;

// The Prior Net's head starts at zero (σ = 1 everywhere): random weights make its map vary, so a
// σ taken from anywhere else would not match it.
void perturb_prior(rg::Model& m, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& [name, p] : m.named_parameters())
    if (name.rfind("prior.", 0) == 0) p.add_(0.3 * torch::randn(p.sizes(), gen).to(p.device()));
}

std::unique_ptr<rg::Model> make_model(const rg::ModelConfig& config) {
  auto m = std::make_unique<rg::Model>(config, device(), 2);
  if (config.prior == PriorKind::Learned) perturb_prior(*m, 5);
  return m;
}

// σ of the speech prior on `degraded`, computed as the sampler's own inputs are: padded to whole
// frames, then cut back.
torch::Tensor speech_sigma(rg::Model& m, const torch::Tensor& degraded) {
  c10::InferenceMode inference;
  const auto y = m.prepare(degraded, "input");
  const auto log_var = m.prior_log_variance(y, rg::log_spectrogram(y, m.config().n_fft, m.config().hop));
  if (!log_var.defined()) return torch::ones_like(degraded);
  return torch::exp(0.5 * log_var).narrow(1, 0, degraded.size(1)).cpu();
}

// σ of the image prior on `degraded` [C, H, W], mirrored at the bottom and right to cover a patch
// as the sampler does, in the sampler's [−1, 1] scale.
torch::Tensor image_sigma(rg::Model& m, const torch::Tensor& degraded) {
  c10::InferenceMode inference;
  const int64_t H = degraded.size(1), W = degraded.size(2), P = m.config().patch_size;
  auto y = m.prepare_image(degraded.unsqueeze(0), "image");
  if (H < P || W < P)
    y = F::pad(
        y, F::PadFuncOptions({0, std::max<int64_t>(P - W, 0), 0, std::max<int64_t>(P - H, 0)}).mode(torch::kReflect));
  const auto log_var = m.prior_log_variance(y, torch::Tensor());
  if (!log_var.defined()) return torch::ones_like(degraded);
  return torch::exp(0.5 * log_var)[0].narrow(1, 0, H).narrow(2, 0, W).cpu();
}

bool varies(const torch::Tensor& sigma) {
  return (sigma.max() - sigma.min()).item<double>() > 1e-3;
}

rg::RestoreOptions speech_options() {
  rg::RestoreOptions o;
  o.betas = {0.1, 0.3};
  o.seeds = {4};
  o.use_ema = false;  // the perturbed Prior Net, not its EMA copy
  return o;
}

rg::ImageRestoreOptions image_options() {
  rg::ImageRestoreOptions o;
  o.steps = 2;
  o.use_ema = false;
  return o;
}

}  // namespace

TEST_CASE("sigma, speech: [B, T] cut to the input, exp(½·log σ²_prior) of each prior, restoration unchanged") {
  const auto [clean, y] = rgtest::tone_pair(3, 700);  // 700 is not a whole number of hops
  for (const auto kind : {PriorKind::Standard, PriorKind::PriorGrad, PriorKind::Learned}) {
    const std::string name = rg::prior_name(kind);
    const auto model = make_model(rgtest::tiny(kind));
    auto& m = *model;
    const auto o = speech_options();
    torch::Tensor sigma;
    const auto restored = rg::restore(m, y, o, &sigma);
    if (sigma.sizes() != y.sizes()) rgtest::fail(__FILE__, __LINE__, name + ": σ is not [B, T]");
    CHECK(sigma.device().is_cpu() && sigma.is_contiguous());
    CHECK(sigma.min().item<double>() > 0);
    if (!torch::allclose(sigma, speech_sigma(m, y), 1e-5, 1e-6))
      rgtest::fail(__FILE__, __LINE__, name + ": σ differs from exp(½·log σ²_prior)");
    if (kind != PriorKind::Standard && !varies(sigma)) rgtest::fail(__FILE__, __LINE__, name + ": σ is flat");
    CHECK(torch::equal(restored, rg::restore(m, y, o)));
  }
}

TEST_CASE("sigma, speech: the standard prior's σ is noiseScale everywhere") {
  const auto [clean, y] = rgtest::tone_pair(2, 320);
  for (const double scale : {1.0, 0.5}) {
    auto config = rgtest::tiny(PriorKind::Standard);
    config.noise_scale = scale;
    rg::Model m(config, device(), 2);
    torch::Tensor sigma;
    rg::restore(m, y, speech_options(), &sigma);
    CHECK(sigma.sizes() == y.sizes());
    CHECK(torch::allclose(sigma, torch::full_like(y, scale), 1e-6, 1e-7));
  }
}

TEST_CASE("sigma, speech: a batch run as groups returns every item's σ in order") {
  const auto [clean, y] = rgtest::tone_pair(3, 400);
  const auto model = make_model(rgtest::tiny(PriorKind::Learned));
  auto& m = *model;
  auto o = speech_options();
  torch::Tensor whole, grouped;
  rg::restore(m, y, o, &whole);
  o.max_cache_bytes = rg::conditioner_cache_bytes(m.config(), 400) * 2;  // groups of 2 and 1
  rg::restore(m, y, o, &grouped);
  CHECK(grouped.sizes() == y.sizes());
  CHECK(torch::allclose(grouped, whole, 1e-5, 1e-6));
  CHECK(!torch::allclose(grouped[0], grouped[2], 1e-3, 1e-3));  // rows are the items' own
}

TEST_CASE("sigma, images: [C, H, W] of the input, from the mirrored image when smaller than a patch") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  for (const auto kind : {PriorKind::Standard, PriorKind::PriorGrad, PriorKind::Learned}) {
    const std::string name = rg::prior_name(kind);
    const auto model = make_model(rgtest::image_tiny(kind));
    auto& m = *model;
    for (const auto& shape : {std::vector<int64_t>{3, 20, 27}, std::vector<int64_t>{3, 10, 13}}) {
      const auto input = torch::rand(shape, gen);
      const auto o = image_options();
      torch::Tensor sigma;
      const auto restored = rg::restore_image(m, input, o, &sigma);
      if (sigma.sizes() != input.sizes()) rgtest::fail(__FILE__, __LINE__, name + ": σ is not [C, H, W]");
      CHECK(sigma.device().is_cpu() && sigma.is_contiguous());
      CHECK(sigma.min().item<double>() > 0);
      if (!torch::allclose(sigma, image_sigma(m, input), 1e-5, 1e-6))
        rgtest::fail(__FILE__, __LINE__, name + ": σ differs from exp(½·log σ²_prior) of the working image");
      if (kind != PriorKind::Standard && !varies(sigma)) rgtest::fail(__FILE__, __LINE__, name + ": σ is flat");
      CHECK(torch::equal(restored, rg::restore_image(m, input, o)));
    }
  }
}

TEST_CASE("sigma, images: the standard prior's σ is noiseScale everywhere") {
  for (const double scale : {1.0, 0.8}) {
    auto config = rgtest::image_tiny(PriorKind::Standard);
    config.noise_scale = scale;
    rg::Model m(config, device(), 2);
    const auto input = torch::full({3, 18, 17}, 0.3);
    torch::Tensor sigma;
    rg::restore_image(m, input, image_options(), &sigma);
    CHECK(sigma.sizes() == input.sizes());
    CHECK(torch::allclose(sigma, torch::full_like(input, scale), 1e-6, 1e-7));
  }
}
