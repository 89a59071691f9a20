// The image side: WeatherDiff's patch UNet, 2-D encoders, the handcrafted image prior, the joint
// loss on the DDPM process, the overlapping-patch DDIM sampler and image checkpoints.
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>

#include "checkpoint.h"
#include "helpers.h"
#include "image_prior.h"
#include "image_sampler.h"
#include "loss.h"
#include "model.h"
#include "process.h"
#include "safetensors.h"
#include "sampler.h"
#include "test.h"
#include "trainer.h"

using rg::PriorKind;
using rgtest::device;
using rgtest::image_tiny;

namespace {

// A smooth colour image [C, H, W] in [0, 1] and a noisy copy.
std::pair<torch::Tensor, torch::Tensor> image_pair(int64_t h, int64_t w, uint64_t seed = 3) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto r = torch::linspace(0, 1, h).view({1, h, 1}), c = torch::linspace(0, 1, w).view({1, 1, w});
  const auto phase = torch::tensor({0.0, 1.0, 2.0}).view({3, 1, 1});
  const auto clean = 0.5 + 0.35 * torch::sin(3.0 * r + 2.0 * c + phase);
  const auto noisy = (clean + 0.15 * torch::randn({3, h, w}, gen)).clamp(0, 1);
  return {clean, noisy};
}

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  return 10 * std::log10(1.0 / (a - b).pow(2).mean().item<double>());
}

rg::ImageRestoreOptions quick(int steps = 2) {
  rg::ImageRestoreOptions o;
  o.steps = steps;
  o.use_ema = false;
  return o;
}

}  // namespace

TEST_CASE("image config: modality defaults, JSON round trip, invalid image fields") {
  const auto c = rg::config_from_json(rg::json::parse(R"({"modality": "image", "prior": "standard"})"));
  CHECK(c.image() && c.train_steps == 1000 && c.beta_end == 0.02 && c.patch_size == 64 && c.unet_width == 128);
  CHECK(c.ddim_steps == 25 && c.ddim_fast_steps == 10 && c.ddim_eta == 0 && c.patch_stride == 16);
  const auto tiny = image_tiny(PriorKind::Learned);
  const auto back = rg::config_from_json(rg::config_to_json(tiny));
  CHECK(rg::config_to_json(back) == rg::config_to_json(tiny));
  // Configs written before images existed are speech configs with their old values.
  const auto speech = rg::config_from_json(rg::json::parse(R"({"prior": "learned", "trainSteps": 50})"));
  CHECK(!speech.image() && speech.train_steps == 50 && speech.beta_end == 0.035);
  for (const char* bad :
       {R"({"modality": "video"})", R"({"modality": "image", "imageChannels": 2})",
        R"({"modality": "image", "patchSize": 40})", R"({"modality": "image", "patchStride": 65})",
        R"({"modality": "image", "unetMultipliers": []})", R"({"modality": "image", "ddimEta": 2})",
        R"({"modality": "image", "ddimSteps": 1001})", R"({"modality": "image", "attentionResolutions": [1.5]})"})
    CHECK_THROWS_CODE(rg::config_from_json(rg::json::parse(bad)), rg::kConfig);
}

TEST_CASE("image UNet: any input size gives ε̂ of that size, zero at initialisation; size formula is exact") {
  auto cfg = image_tiny(PriorKind::Standard);
  rg::Model m(cfg, device(), 1);
  const auto x = torch::randn({2, 3, 13, 21}).to(device()), y = torch::randn({2, 3, 13, 21}).to(device());
  const auto eps = m.unet()->forward(x, y, torch::tensor({5, 700}, torch::kLong));
  CHECK(eps.sizes() == x.sizes());
  CHECK(eps.abs().max().item<double>() == 0);
  // The checkpoint guard's count against the real modules, for several shapes of network.
  for (auto variant : {cfg, image_tiny(PriorKind::Learned)}) {
    for (const auto& mult : std::vector<std::vector<int>>{{1, 2}, {1, 1, 2, 3}, {2}}) {
      variant.unet_multipliers = mult;
      variant.unet_res_blocks = mult.size() == 2 ? 2 : 1;
      variant.attention_resolutions = {16, 4};
      variant.image_channels = mult.size() == 4 ? 1 : 3;
      rg::Model v(variant, device(), 1);
      CHECK(rg::unet_parameters(variant) == v.param_counts().denoiser);
      const auto out = v.unet()->forward(torch::zeros({1, variant.image_channels, 9, 11}).to(device()),
                                         torch::zeros({1, variant.image_channels, 9, 11}).to(device()),
                                         torch::tensor({3}, torch::kLong));
      CHECK(out.size(1) == variant.image_channels && out.size(2) == 9 && out.size(3) == 11);
    }
  }
}

TEST_CASE("image encoders: the 2-D ResNet-20 encoder of the Base width has the paper's ≈0.27 M parameters") {
  const auto c = rg::default_config(rg::Modality::Image);
  rg::Encoder prior(2, 3, 3, c.encoder_width, c.encoder_blocks, c.log_var_min, c.log_var_max);
  int64_t n = 0;
  for (const auto& p : prior->parameters()) n += p.numel();
  CHECK(std::fabs(n - 0.27e6) <= 0.03 * 0.27e6);
}

TEST_CASE("image encoders: log σ² per pixel and channel, 0 at initialisation; PriorGrad's local energy prior") {
  rg::Model m(image_tiny(PriorKind::Learned), device(), 2);
  const auto y = torch::rand({2, 3, 12, 20}).to(device());
  const auto prior = m.prior_log_variance(y, torch::Tensor());
  const auto post = m.posterior_log_variance(y, y, prior);
  CHECK(prior.sizes() == y.sizes() && post.sizes() == y.sizes());
  CHECK(prior.abs().max().item<double>() < 1e-6 && post.abs().max().item<double>() < 1e-6);
  // Local RMS around 0, clamped to [floor, 1]: a flat image of value v has σ = |v|.
  const double floor = 0.1;
  const auto flat = torch::full({1, 3, 9, 9}, -0.5);
  CHECK_CLOSE(rg::local_energy_log_variance(flat, floor).max().item<double>(), 2 * std::log(0.5), 1e-5);
  CHECK_CLOSE(rg::local_energy_log_variance(flat * 0, floor).min().item<double>(), 2 * std::log(floor), 1e-5);
  // A bright square raises σ near it only.
  auto img = torch::zeros({1, 1, 30, 30});
  img.narrow(2, 0, 4).narrow(3, 0, 4).fill_(1.0);
  const auto lv = rg::local_energy_log_variance(img, floor);
  CHECK(lv[0][0][1][1].item<double>() > lv[0][0][20][20].item<double>() + 1);
  rg::Model pg(image_tiny(PriorKind::PriorGrad), device(), 2);
  CHECK(
      torch::allclose(pg.prior_log_variance(y, torch::Tensor()).cpu(), rg::local_energy_log_variance(y.cpu(), floor)));
}

TEST_CASE("image loss: the joint loss on the DDPM process equals a float64 reference") {
  rg::Model m(image_tiny(PriorKind::Learned), device(), 4);
  const auto [clean, noisy] = image_pair(16, 16);
  const auto cb = torch::stack({clean, clean.flip(2)}), nb = torch::stack({noisy, noisy.flip(2)});
  for (int i = 0; i < 3; ++i) rg::train_step(m, cb, nb, 1e-2);  // move the zero heads off zero
  const auto x0 = (cb * 2 - 1).to(device()), y = (nb * 2 - 1).to(device());
  const auto t = torch::tensor({17, 640}, torch::kLong);
  const auto n = torch::randn(x0.sizes()).to(device());
  const auto l = rg::training_loss(m, x0, y, t, n);

  torch::NoGradGuard no_grad;
  const auto d = [](const torch::Tensor& v) { return v.detach().to(torch::kCPU, torch::kFloat64); };
  const auto prior = d(m.prior_log_variance(y, torch::Tensor()));
  const auto post = d(m.posterior_log_variance(x0, y, torch::Tensor()));
  const auto& ab = m.schedule().alpha_bar;
  const auto a = torch::tensor({ab[17], ab[640]}, torch::kFloat64).view({2, 1, 1, 1});
  const auto eps = d(n) * (0.5 * post).exp();
  const auto x_t = a.sqrt() * d(x0) + (1 - a).sqrt() * eps;
  const auto pred = d(m.unet()->forward(x_t.to(device(), torch::kFloat32), y, t));
  const double abT = ab.back(), eta = m.config().eta, lambda = m.config().lambda;
  const double lr = (abT * d(x0).pow(2) / post.exp() + post).mean().item<double>();
  const double dm = ((eps - pred).pow(2) / post.exp()).mean().item<double>();
  const double pm = (prior - post + (post - prior).exp()).mean().item<double>();
  const auto rel = [](double u, double v) { return std::fabs(u - v) / std::max(std::fabs(v), 1e-12); };
  CHECK(rel(l.terms.lr.item<double>(), lr) < 1e-4);
  CHECK(rel(l.terms.dm.item<double>(), dm) < 1e-4);
  CHECK(rel(l.terms.pm.item<double>(), pm) < 1e-4);
  CHECK(rel(l.terms.total.item<double>(), eta * lr + dm + lambda * pm) < 1e-4);
  CHECK(m.posterior_log_variance(x0, y, torch::Tensor()).abs().max().item<double>() > 1e-4);
}

TEST_CASE("image sampler: the patch grid covers every pixel and ends flush with each side") {
  CHECK((rg::patch_starts(64, 64, 16) == std::vector<int64_t>{0}));
  CHECK((rg::patch_starts(80, 64, 16) == std::vector<int64_t>{0, 16}));
  CHECK((rg::patch_starts(81, 64, 16) == std::vector<int64_t>{0, 16, 17}));
  CHECK((rg::patch_starts(37, 16, 8) == std::vector<int64_t>{0, 8, 16, 21}));
  for (int64_t side = 16; side < 60; ++side)
    for (int64_t stride : {1, 5, 8, 16}) {
      std::vector<int> covered(side, 0);
      for (int64_t s : rg::patch_starts(side, 16, stride))
        for (int64_t i = s; i < s + 16; ++i) covered.at(i)++;
      for (int64_t i = 0; i < side; ++i)
        if (!covered[i]) rgtest::fail(__FILE__, __LINE__, "pixel " + std::to_string(i) + " uncovered");
    }
  CHECK((rg::ddim_timesteps(1000, 10) == std::vector<int64_t>{0, 100, 200, 300, 400, 500, 600, 700, 800, 900}));
  CHECK(rg::ddim_timesteps(1000, 25)[24] == 960);
}

TEST_CASE("image sampler: any size in gives the same size out, smaller than a patch or off the stride") {
  rg::Model m(image_tiny(PriorKind::Learned), device(), 5);
  for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 7}, {16, 16}, {23, 37}, {40, 17}}) {
    for (int stride : {5, 8, 16}) {
      auto o = quick();
      o.stride = stride;
      const auto out = rg::restore_image(m, torch::rand({3, h, w}), o);
      CHECK(out.dim() == 3 && out.size(0) == 3 && out.size(1) == h && out.size(2) == w);
      CHECK(out.min().item<double>() >= 0 && out.max().item<double>() <= 1);
    }
  }
}

TEST_CASE("image sampler: overlap averaging keeps a position-independent ε̂ exact at every pixel (closed form)") {
  // A fresh UNet's output layer has zero weights: set its bias and ε̂ = b everywhere, whatever the
  // patch. Averaging over any overlap must give back exactly b, so the result is the DDIM
  // recursion applied to x_T pixel by pixel. Uncovered pixels, wrong counts or a seam break it.
  rg::Model m(image_tiny(PriorKind::Standard), device(), 6);
  {
    torch::NoGradGuard no_grad;
    m.unet()->output_conv->bias.copy_(torch::tensor({0.3, -0.2, 0.1}));
  }
  const int64_t H = 29, W = 35;
  auto o = quick(10);
  o.seed = 77;
  o.stride = 5;
  const auto out = rg::restore_image(m, torch::full({3, H, W}, 0.4), o);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(77);
  auto x = torch::randn({1, 3, H, W}, gen, torch::kFloat32).to(torch::kFloat64);
  const auto b = torch::tensor({0.3, -0.2, 0.1}, torch::kFloat64).view({1, 3, 1, 1});
  const auto t = rg::ddim_timesteps(1000, 10);
  const auto& ab = m.schedule().alpha_bar;
  for (int k = 9; k >= 0; --k) {
    const double at = ab[t[k]], an = k > 0 ? ab[t[k - 1]] : 1.0;
    x = std::sqrt(an) * (x - std::sqrt(1 - at) * b) / std::sqrt(at) + std::sqrt(1 - an) * b;
  }
  const auto expected = ((x + 1) * 0.5).clamp(0, 1)[0].to(torch::kFloat32);
  CHECK(torch::allclose(out, expected, 1e-4, 1e-4));
}

TEST_CASE("image sampler: same seed same output per call, another seed differs, chunking changes nothing") {
  rg::Model m(image_tiny(PriorKind::Learned), device(), 7);
  const auto [clean, noisy] = image_pair(16, 16);
  for (int i = 0; i < 3; ++i) rg::train_step(m, clean.unsqueeze(0), noisy.unsqueeze(0), 1e-2);
  const auto [c2, input] = image_pair(24, 30, 9);
  for (double eta : {0.0, 1.0}) {
    auto o = quick(4);
    o.eta = eta;
    o.seed = 11;
    o.use_ema = true;
    const auto a = rg::restore_image(m, input, o), b = rg::restore_image(m, input, o);
    CHECK(torch::equal(a, b));
    o.max_patches = 1;
    CHECK(torch::allclose(a, rg::restore_image(m, input, o), 1e-5, 1e-5));
    o.max_patches = 16;
    o.seed = 12;
    CHECK(!torch::equal(a, rg::restore_image(m, input, o)));
  }
  // Step-invariant work once per call: one prior run, one embedding table; one forward per
  // chunk of patches per step.
  auto& c = m.counters();
  const auto priors = c.prior_runs.load(), embeds = c.step_embedding_runs.load(), nets = c.network_runs.load();
  auto o = quick(3);
  o.stride = 8;
  o.max_patches = 4;
  rg::restore_image(m, input, o);  // 24×30 → 2 × 3 = 6 patches → 2 chunks
  CHECK(c.prior_runs.load() - priors == 1 && c.step_embedding_runs.load() - embeds == 1);
  CHECK(c.network_runs.load() - nets == 3 * 2);
}

TEST_CASE("image trainer: image-tiny of each prior kind overfits a fixed pair; restored PSNR rises, no seams") {
  const auto [clean, noisy] = image_pair(16, 16);
  const auto cb = torch::stack({clean, clean}), nb = torch::stack({noisy, noisy});
  for (auto kind : {PriorKind::Standard, PriorKind::PriorGrad, PriorKind::Learned}) {
    rg::Model m(image_tiny(kind), device(), 8);
    auto o = quick(10);
    o.seed = 1;
    const double before = psnr(rg::restore_image(m, noisy, o), clean);
    double first = 0, last = 0;
    for (int i = 0; i < 400; ++i) {
      const auto st = rg::train_step(m, cb, nb, 2e-3);
      CHECK(std::isfinite(st.loss));
      if (i < 20) first += st.mse / 20;
      if (i >= 380) last += st.mse / 20;
    }
    const double after = psnr(rg::restore_image(m, noisy, o), clean);
    const std::string name = rg::prior_name(kind);
    if (!(last * 3 <= first))
      rgtest::fail(
          __FILE__, __LINE__,
          name + ": ε error fell from " + std::to_string(first) + " to " + std::to_string(last) + ", under 3×");
    // 400 steps teach the ε-network far from all it needs at T = 1000 (ᾱ_T ≈ 4e-5 amplifies ε̂'s
    // error by up to 1/√ᾱ in x̂0), so the bar is a clear rise over the untrained model's ≈5 dB.
    if (!(after >= before + 2.5))
      rgtest::fail(__FILE__, __LINE__,
                   name + ": PSNR " + std::to_string(before) + " → " + std::to_string(after) + " dB");
    if (kind != PriorKind::Learned) continue;
    // No seams: restoring a larger image from overlapping patches, differences between rows
    // (and columns) across patch borders (multiples of the stride 8) are like those inside.
    const auto [big_clean, big_noisy] = image_pair(40, 40, 4);
    o.stride = 8;
    const auto out = rg::restore_image(m, big_noisy, o);
    for (int dim : {1, 2}) {
      const auto diff = (out.narrow(dim, 1, 39) - out.narrow(dim, 0, 39)).abs().mean(dim == 1 ? 2 : 1).mean(0);
      double border = 0, inside = 0;
      for (int i = 0; i < 39; ++i) ((i + 1) % 8 == 0 ? border : inside) += diff[i].item<double>();
      border /= 4;
      inside /= 35;
      if (!(border <= 1.5 * inside + 1e-3))
        rgtest::fail(__FILE__, __LINE__,
                     "seam: mean step across borders " + std::to_string(border) + ", inside " + std::to_string(inside));
    }
  }
}

TEST_CASE("image trainer: a v-target image-tiny learns x0 where ε-targets cannot, and beats its input") {
  // At t = 999 the ε target holds √ᾱ ≈ 0.006 of x0; v = √ᾱ·ε − √(1−ᾱ)·x0 holds nearly all of it.
  const auto x0 = torch::rand({1, 3, 16, 16}) * 2 - 1, eps = torch::randn({1, 3, 16, 16});
  const auto ab = torch::tensor({0.25}, torch::kFloat32);
  const auto d = rg::diffuse_ddpm(x0, ab, eps, rg::Target::V);
  CHECK(torch::allclose(d.x_t, 0.5 * x0 + std::sqrt(0.75) * eps));
  CHECK(torch::allclose(d.target, 0.5 * eps - std::sqrt(0.75) * x0));
  CHECK(torch::allclose(std::sqrt(0.75) * d.x_t + 0.5 * d.target, eps, 1e-5, 1e-5));  // ε̂ from v̂, as sampled

  const auto [clean, noisy] = image_pair(16, 16);
  const auto cb = torch::stack({clean, clean}), nb = torch::stack({noisy, noisy});
  const double input = psnr(noisy, clean);
  for (auto kind : {PriorKind::Standard, PriorKind::Learned}) {
    double after[2];
    for (int v = 0; v < 2; ++v) {
      auto cfg = image_tiny(kind);
      cfg.image_target = v ? "v" : "epsilon";
      rg::Model m(cfg, device(), 8);
      for (int i = 0; i < 300; ++i) rg::train_step(m, cb, nb, 2e-3);
      auto o = quick(10);
      o.seed = 1;
      after[v] = psnr(rg::restore_image(m, noisy, o), clean);
    }
    const std::string name = rg::prior_name(kind);
    if (!(after[1] >= input + 1 && after[1] >= after[0] + 5))
      rgtest::fail(__FILE__, __LINE__,
                   name + ": input " + std::to_string(input) + " dB, ε target " + std::to_string(after[0]) +
                       " dB, v target " + std::to_string(after[1]) + " dB");
  }
}

TEST_CASE("image sampler: cancel aborts between steps and the model stays usable") {
  rg::Model m(image_tiny(PriorKind::Learned), device(), 2);
  std::atomic<bool> cancel{true};
  auto o = quick();
  o.cancel = &cancel;
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({3, 20, 20}), o), rg::kAborted);
  cancel = false;
  CHECK(rg::restore_image(m, torch::rand({3, 20, 20}), o).size(2) == 20);
}

TEST_CASE("image input: bad images, options and modalities are rejected with E_INPUT") {
  rg::Model m(image_tiny(PriorKind::Standard), device(), 2);
  auto bad = torch::rand({3, 8, 8});
  bad[1][2][3] = NAN;
  CHECK_THROWS_CODE(rg::restore_image(m, bad, quick()), rg::kInput);
  bad[1][2][3] = INFINITY;
  CHECK_THROWS_CODE(rg::restore_image(m, bad, quick()), rg::kInput);
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({1, 8, 8}), quick()), rg::kInput);  // channels
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({8, 8}), quick()), rg::kInput);     // rank
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({3, 0, 8}), quick()), rg::kInput);  // empty
  auto o = quick();
  o.max_pixels = 100;
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({3, 11, 10}), o), rg::kInput);
  for (int steps : {-1, 1001}) {
    o = quick(steps);
    CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({3, 8, 8}), o), rg::kInput);
  }
  o = quick();
  o.eta = 1.5;
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({3, 8, 8}), o), rg::kInput);
  o = quick();
  o.stride = 17;
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({3, 8, 8}), o), rg::kInput);
  o = quick();
  o.max_patches = 0;
  CHECK_THROWS_CODE(rg::restore_image(m, torch::rand({3, 8, 8}), o), rg::kInput);
  CHECK_THROWS_CODE(rg::train_step(m, torch::rand({2, 3, 16, 16}), torch::rand({2, 3, 16, 8})), rg::kInput);
  CHECK_THROWS_CODE(rg::train_step(m, torch::rand({2, 1, 16, 16}), torch::rand({2, 1, 16, 16})), rg::kInput);
  CHECK_THROWS_CODE(rg::train_step(m, torch::rand({2, 256}), torch::rand({2, 256})), rg::kInput);
  CHECK_THROWS_CODE(rg::restore(m, torch::rand({1, 256}), rg::RestoreOptions()), rg::kInput);
  rg::Model speech(rgtest::tiny(PriorKind::Standard), device(), 2);
  CHECK_THROWS_CODE(rg::restore_image(speech, torch::rand({3, 8, 8}), quick()), rg::kInput);
  CHECK_THROWS_CODE(rg::train_step(speech, torch::rand({2, 3, 16, 16}), torch::rand({2, 3, 16, 16})), rg::kInput);
}

TEST_CASE("image checkpoint: round trip of every prior kind, same restoration; a mismatched config is rejected") {
  const auto [clean, noisy] = image_pair(16, 16);
  const std::string path = "/tmp/rg_test_image_ckpt.safetensors";
  for (auto kind : {PriorKind::Standard, PriorKind::PriorGrad, PriorKind::Learned}) {
    rg::Model m(image_tiny(kind), device(), 9);
    for (int i = 0; i < 2; ++i) rg::train_step(m, clean.unsqueeze(0), noisy.unsqueeze(0), 1e-2);
    rg::save_checkpoint(m, path);
    const auto loaded = rg::load_checkpoint(path, device());
    CHECK(loaded->config().image() && loaded->train_state().step == 2);
    const auto a = m.named_parameters(), b = loaded->named_parameters();
    CHECK(a.size() == b.size());
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
      CHECK(a[i].first == b[i].first && torch::equal(a[i].second, b[i].second));
    auto o = quick(3);
    o.use_ema = true;
    CHECK(torch::equal(rg::restore_image(m, noisy, o), rg::restore_image(*loaded, noisy, o)));
  }
  // The same tensors under a config that describes another network.
  auto file = rg::read_safetensors(path);
  for (const char* change : {"unetWidth", "modality"}) {
    auto cfg = image_tiny(PriorKind::Learned);
    if (std::string(change) == "unetWidth") cfg.unet_width = 8;
    auto meta = file.metadata;
    auto json = rg::config_to_json(cfg);
    if (std::string(change) == "modality") json = rg::config_to_json(rgtest::tiny(PriorKind::Learned));
    meta["config"] = rg::json::dump(json);
    rg::write_safetensors(path, file.tensors, meta);
    CHECK_THROWS_CODE(rg::load_checkpoint(path, device()), rg::kCheckpoint);
  }
  std::remove(path.c_str());
}
