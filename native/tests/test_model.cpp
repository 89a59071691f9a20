#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "checkpoint.h"
#include "helpers.h"
#include "loss.h"
#include "model.h"
#include "nets/encoder.h"
#include "safetensors.h"
#include "sampler.h"
#include "spectrogram.h"
#include "test.h"
#include "trainer.h"

using rg::PriorKind;
using rgtest::device;
using rgtest::tiny;

namespace {

// Trains `m` for 500 steps on one pair; returns the mean error of the clean estimate x̂0 over the
// first and the last 20 steps. L_DM is no yardstick: the learned prior weights it by 1/σ², and its
// target shrinks with σ_post, so neither measures what the denoiser has learnt.
std::pair<double, double> overfit(rg::Model& m, const torch::Tensor& x0, const torch::Tensor& y,
                                  const std::function<void(const rg::StepStats&)>& each = {}) {
  double first = 0, last = 0;
  for (int i = 0; i < 500; ++i) {
    const auto st = rg::train_step(m, x0, y, 3e-3);
    CHECK(std::isfinite(st.loss));
    if (each) each(st);
    if (i < 20) first += st.mse / 20;
    if (i >= 480) last += st.mse / 20;
  }
  return {first, last};
}

}  // namespace

TEST_CASE("model: speech-base sizes match CDiffuSE Base and the paper's Base encoders") {
  rg::ModelConfig c;  // the defaults are CDiffuSE Base
  rg::Model m(c, torch::kCPU, 1);
  const auto n = m.param_counts();
  CHECK(std::fabs(n.denoiser - 4.28e6) <= 0.01 * 4.28e6);
  CHECK(std::fabs(n.prior - 93e3) <= 0.03 * 93e3);
  CHECK(std::fabs(n.posterior - 93e3) <= 0.03 * 93e3);
  CHECK(n.total == n.denoiser + n.prior + n.posterior);
  rg::ModelConfig standard = c;
  standard.prior = PriorKind::Standard;
  CHECK(rg::Model(standard, torch::kCPU, 1).param_counts().prior == 0);
}

TEST_CASE("model: soft bound is 0 at 0, stays inside its bounds and keeps its gradient") {
  auto raw = torch::tensor({-1e4, -5.0, 0.0, 5.0, 1e4}, torch::requires_grad());
  const auto v = rg::soft_bound(raw, -6, 4);
  CHECK_CLOSE(v[2].item<double>(), 0.0, 1e-6);
  CHECK(v.min().item<double>() >= -6 && v.max().item<double>() <= 4);
  v.sum().backward();
  CHECK(raw.grad()[1].item<double>() > 0 && raw.grad()[3].item<double>() > 0);
}

TEST_CASE("loss: each term equals a float64 reference; L_PM is 2·KL(post‖prior) + 1 per element") {
  torch::manual_seed(3);
  const int64_t B = 3, T = 257;
  const auto x0 = torch::randn({B, T}) * 0.3, target = torch::randn({B, T}), pred = torch::randn({B, T});
  const auto post = torch::rand({B, T}) * 6 - 4, prior = torch::rand({B, T}) * 6 - 4;
  const double abT = 0.41, eta = 0.7, lambda = 1.3;
  const auto x0_error = torch::randn({B, T}) * 0.1;
  const auto l = rg::joint_loss(x0, target, pred, x0_error, post, prior, abT, eta, lambda, true);
  CHECK_CLOSE(l.mse.item<double>(), x0_error.pow(2).mean().item<double>(), 1e-7);
  auto d = [](const torch::Tensor& t) { return t.to(torch::kFloat64).contiguous(); };
  const auto X = d(x0), E = d(target), P = d(pred), Lq = d(post), Lp = d(prior);
  const double* x = X.data_ptr<double>();
  const double* e = E.data_ptr<double>();
  const double* p = P.data_ptr<double>();
  const double* q = Lq.data_ptr<double>();
  const double* r = Lp.data_ptr<double>();
  double lr = 0, dm = 0, pm = 0, kl = 0;
  const int64_t N = B * T;
  for (int64_t i = 0; i < N; ++i) {
    const double vq = std::exp(q[i]), vp = std::exp(r[i]);
    lr += abT * x[i] * x[i] / vq + std::log(vq);
    dm += (e[i] - p[i]) * (e[i] - p[i]) / vq;
    pm += std::log(vp / vq) + vq / vp;
    kl += 0.5 * (vq / vp - 1 + std::log(vp / vq));  // KL(N(0,vq) ‖ N(0,vp))
  }
  const auto rel = [](double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-12); };
  CHECK(rel(l.lr.item<double>(), lr / N) < 1e-5);
  CHECK(rel(l.dm.item<double>(), dm / N) < 1e-5);
  CHECK(rel(l.pm.item<double>(), pm / N) < 1e-5);
  CHECK(rel(l.pm.item<double>(), (2 * kl + N) / N) < 1e-5);
  CHECK(rel(l.total.item<double>(), (eta * lr + dm + lambda * pm) / N) < 1e-5);
}

TEST_CASE("loss: with zero-initialised heads the learned loss at step 0 is the standard one") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  rg::Model standard(tiny(PriorKind::Standard), device(), 11), learned(tiny(PriorKind::Learned), device(), 11);
  const auto t = torch::tensor({3, 40}, torch::kLong);
  const auto n = torch::randn({2, 512}).to(device());
  const auto ls = rg::training_loss(standard, x0.to(device()), y.to(device()), t, n);
  const auto ll = rg::training_loss(learned, x0.to(device()), y.to(device()), t, n);
  CHECK(torch::equal(ls.terms.dm, ll.terms.dm));
  // The other terms at σ = 1 in closed form: L_LR = ᾱ_T·mean(x0²), L_PM = 1.
  const double abT = learned.schedule().alpha_bar.back();
  CHECK_CLOSE(ll.terms.lr.item<double>(), abT * x0.pow(2).mean().item<double>(), 1e-6);
  CHECK_CLOSE(ll.terms.pm.item<double>(), 1.0, 1e-7);
  CHECK_CLOSE(ll.sigma_post.item<double>(), 1.0, 1e-6);  // the float32 soft bound at 0
}

TEST_CASE("loss: gradients reach the denoiser, the prior and the posterior") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  rg::Model m(tiny(PriorKind::Learned), device(), 5);
  for (int i = 0; i < 3; ++i) rg::train_step(m, x0, y, 1e-2);  // move the zero heads off zero
  const auto l = rg::training_loss(m, x0.to(device()), y.to(device()), torch::tensor({10, 30}, torch::kLong),
                                   torch::randn({2, 512}).to(device()));
  for (auto& p : m.parameters()) p.mutable_grad() = torch::Tensor();
  l.terms.total.backward();
  for (const auto& [name, p] : m.named_parameters()) {
    const bool reached = p.grad().defined() && p.grad().abs().sum().item<double>() > 0;
    if (!reached) rgtest::fail(__FILE__, __LINE__, "no gradient reaches " + name);
  }
}

TEST_CASE("trainer: a tiny model of each prior kind overfits a fixed pair, σ inside its bounds") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  for (auto kind : {PriorKind::Standard, PriorKind::PriorGrad, PriorKind::Learned}) {
    auto cfg = tiny(kind);
    rg::Model m(cfg, device(), 21);
    const double lo = std::exp(0.5 * cfg.log_var_min), hi = std::exp(0.5 * cfg.log_var_max);
    const auto [first, last] = overfit(m, x0, y, [&](const rg::StepStats& st) {
      if (!(st.sigma_post >= lo && st.sigma_post <= hi && st.sigma_prior >= lo && st.sigma_prior <= hi))
        rgtest::fail(__FILE__, __LINE__, "σ left its bounds");
    });
    if (!(last * 5 <= first))
      rgtest::fail(__FILE__, __LINE__,
                   std::string(rg::prior_name(kind)) + ": the x̂0 error fell from " + std::to_string(first) + " to " +
                       std::to_string(last) + ", under 5×");
  }
}

TEST_CASE("sampler: same seed gives identical output, another seed differs; step-invariant work runs once") {
  const auto [x0, y] = rgtest::tone_pair(2, 700);
  rg::Model m(tiny(PriorKind::Learned), device(), 2);
  for (int i = 0; i < 5; ++i) rg::train_step(m, x0, y, 1e-2);
  rg::RestoreOptions o;
  o.betas = m.config().fast_betas;
  o.seeds = {9};
  const auto before = m.counters().conditioner_runs.load(), nets = m.counters().network_runs.load();
  const auto a = rg::restore(m, y, o), b = rg::restore(m, y, o);
  CHECK(a.sizes() == y.sizes());
  CHECK(torch::equal(a, b));
  CHECK(m.counters().conditioner_runs.load() - before == 2);
  CHECK(m.counters().network_runs.load() - nets == 12);
  o.seeds = {10};
  CHECK(!torch::equal(a, rg::restore(m, y, o)));
  // An item restores the same alone as in a batch, given its seed.
  o.seeds = {9, 10};
  const auto pair = rg::restore(m, y, o);
  o.seeds = {10};
  CHECK(torch::allclose(pair[1], rg::restore(m, y.narrow(0, 1, 1), o)[0], 1e-5, 1e-6));
  CHECK(torch::isfinite(a).all().item<bool>());
}

TEST_CASE("sampler: cancel aborts between steps and the model stays usable") {
  const auto [x0, y] = rgtest::tone_pair(1, 300);
  rg::Model m(tiny(PriorKind::Standard), device(), 2);
  std::atomic<bool> cancel{true};
  rg::RestoreOptions o;
  o.cancel = &cancel;
  CHECK_THROWS_CODE(rg::restore(m, y, o), rg::kAborted);
  cancel = false;
  CHECK(rg::restore(m, y, o).size(1) == 300);
}

TEST_CASE("input: NaN, Inf, empty, too short and mismatched batches are rejected") {
  rg::Model m(tiny(PriorKind::Standard), device(), 2);
  const rg::RestoreOptions o;
  auto bad = torch::zeros({1, 100});
  bad[0][5] = NAN;
  CHECK_THROWS_CODE(rg::restore(m, bad, o), rg::kInput);
  bad[0][5] = INFINITY;
  CHECK_THROWS_CODE(rg::restore(m, bad, o), rg::kInput);
  CHECK_THROWS_CODE(rg::restore(m, torch::zeros({1, 3}), o), rg::kInput);
  CHECK_THROWS_CODE(rg::restore(m, torch::zeros({0, 100}), o), rg::kInput);
  CHECK_THROWS_CODE(rg::train_step(m, torch::zeros({1, 100}), torch::zeros({1, 90})), rg::kInput);
}

TEST_CASE("checkpoint: save and load round trip is bit-exact, resumes training identically") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  rg::Model m(tiny(PriorKind::Learned), device(), 4);
  for (int i = 0; i < 4; ++i) rg::train_step(m, x0, y, 1e-2);
  const std::string path = "/tmp/rg_test_ckpt.safetensors";
  rg::save_checkpoint(m, path);
  auto loaded = rg::load_checkpoint(path, device());
  const auto a = m.named_parameters(), b = loaded->named_parameters();
  CHECK(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].first == b[i].first && torch::equal(a[i].second, b[i].second));
    CHECK(torch::equal(m.train_state().ema[i], loaded->train_state().ema[i]));
    CHECK(torch::equal(m.train_state().adam_v[i], loaded->train_state().adam_v[i]));
  }
  CHECK(loaded->train_state().step == 4);
  // The generator state travels too: the next step is the same in both.
  const auto s1 = rg::train_step(m, x0, y, 1e-2), s2 = rg::train_step(*loaded, x0, y, 1e-2);
  CHECK(s1.loss == s2.loss);
  std::remove(path.c_str());
}

TEST_CASE("checkpoint: a weights-only file is a quarter of the size and restores like the EMA weights") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  rg::Model m(tiny(PriorKind::Learned), device(), 4);
  for (int i = 0; i < 4; ++i) rg::train_step(m, x0, y, 1e-2);
  const std::string full = "/tmp/rg_test_full.safetensors", weights = "/tmp/rg_test_weights.safetensors";
  rg::save_checkpoint(m, full);
  rg::save_checkpoint(m, weights, rg::CheckpointContents::Weights);
  const auto size = [](const std::string& p) { return static_cast<double>(std::filesystem::file_size(p)); };
  CHECK(size(weights) < 0.3 * size(full));
  auto loaded = rg::load_checkpoint(weights, device());
  CHECK(loaded->train_state().step == 4);
  rg::RestoreOptions o;
  o.seeds = {3};
  const auto with_ema = rg::restore(*loaded, y, o);
  CHECK(torch::equal(rg::restore(m, y, o), with_ema));
  o.use_ema = false;  // the raw weights are the EMA weights too
  CHECK(torch::equal(rg::restore(*loaded, y, o), with_ema));
  // Training from it starts a fresh optimiser and stays finite.
  for (const auto& v : loaded->train_state().adam_v) CHECK(v.abs().max().item<double>() == 0);
  CHECK(std::isfinite(rg::train_step(*loaded, x0, y, 1e-2).loss));
  // A weights-only file missing a tensor, or with a training tensor added, is rejected.
  auto file = rg::read_safetensors(weights);
  auto tensors = file.tensors;
  tensors.erase(tensors.begin());
  rg::write_safetensors(weights, tensors, file.metadata);
  CHECK_THROWS_CODE(rg::load_checkpoint(weights, device()), rg::kCheckpoint);
  tensors = file.tensors;
  tensors["rng"] = m.generator().get_state();
  rg::write_safetensors(weights, tensors, file.metadata);
  CHECK_THROWS_CODE(rg::load_checkpoint(weights, device()), rg::kCheckpoint);
  auto meta = file.metadata;
  meta["contents"] = "everything";
  rg::write_safetensors(weights, file.tensors, meta);
  CHECK_THROWS_CODE(rg::load_checkpoint(weights, device()), rg::kCheckpoint);
  std::remove(full.c_str());
  std::remove(weights.c_str());
}

TEST_CASE("checkpoint: corrupt and truncated files are rejected with E_CHECKPOINT") {
  rg::Model m(tiny(PriorKind::Standard), device(), 4);
  const std::string path = "/tmp/rg_test_bad.safetensors";
  rg::save_checkpoint(m, path);
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fclose(f);
  CHECK(truncate(path.c_str(), size / 2) == 0);
  CHECK_THROWS_CODE(rg::load_checkpoint(path, device()), rg::kCheckpoint);
  f = std::fopen(path.c_str(), "wb");
  std::fputs("not a checkpoint at all", f);
  std::fclose(f);
  CHECK_THROWS_CODE(rg::load_checkpoint(path, device()), rg::kCheckpoint);
  CHECK_THROWS_CODE(rg::load_checkpoint("/tmp/does-not-exist.safetensors", device()), rg::kCheckpoint);
  std::remove(path.c_str());
}

TEST_CASE("sampler: projecting the conditioner per step gives the cached result") {
  auto cfg = tiny(PriorKind::Learned);
  cfg.upsampler = "transposed";  // the only upsampler whose cache can be left unprojected
  cfg.n_fft = 512;
  cfg.hop = 256;
  rg::Model m(cfg, device(), 3);
  const auto [x0, y] = rgtest::tone_pair(2, 2048);
  for (int i = 0; i < 3; ++i) rg::train_step(m, x0, y, 1e-2);
  rg::RestoreOptions o;
  const auto cached = rg::restore(m, y, o);
  o.max_cache_bytes = 0;
  const auto runs = m.counters().conditioner_runs.load();
  const auto per_step = rg::restore(m, y, o);
  CHECK(m.counters().conditioner_runs.load() - runs == 1);
  CHECK(torch::allclose(cached, per_step, 1e-5, 1e-6));
}

TEST_CASE("sampler: a batch over the cache budget runs as groups that fit, with the same result") {
  auto cfg = tiny(PriorKind::Learned);
  cfg.upsampler = "transposed";
  cfg.n_fft = 512;
  cfg.hop = 256;
  rg::Model m(cfg, device(), 3);
  const auto y = torch::cat({rgtest::tone_pair(2, 2048).second, rgtest::tone_pair(1, 2048).second}, 0);
  rg::RestoreOptions o;
  o.seeds = {4, 8, 15};
  const auto whole = rg::restore(m, y, o);
  o.max_cache_bytes = 2 * rg::conditioner_cache_bytes(cfg, 2048);  // two items a group
  const auto runs = m.counters().conditioner_runs.load();
  const auto grouped = rg::restore(m, y, o);
  CHECK(m.counters().conditioner_runs.load() - runs == 2);
  CHECK(torch::allclose(whole, grouped, 1e-5, 1e-6));
}

TEST_CASE("model: a standard prior with noiseScale s draws its noise from N(0, s²)") {
  auto cfg = tiny(PriorKind::Standard);
  cfg.noise_scale = 0.5;
  rg::Model m(cfg, device(), 1);
  const auto y = torch::randn({2, 256}).to(device());
  const auto logvar = m.prior_log_variance(y, torch::Tensor());
  CHECK(logvar.defined());
  CHECK_CLOSE(logvar.min().item<double>(), 2 * std::log(0.5), 1e-6);
  CHECK_CLOSE(logvar.max().item<double>(), 2 * std::log(0.5), 1e-6);
  CHECK(!rg::Model(tiny(PriorKind::Standard), device(), 1).prior_log_variance(y, torch::Tensor()).defined());
}

TEST_CASE("checkpoint: every upsampler and prior kind saves and loads (the size guard matches the networks)") {
  for (const char* upsampler : {"repeat", "transposed"}) {
    for (auto kind : {PriorKind::Standard, PriorKind::PriorGrad, PriorKind::Learned}) {
      auto cfg = tiny(kind);
      cfg.upsampler = upsampler;
      cfg.n_fft = 512;
      cfg.hop = 256;
      rg::Model m(cfg, device(), 1);
      const std::string path = "/tmp/rg_test_kinds.safetensors";
      rg::save_checkpoint(m, path);
      const auto loaded = rg::load_checkpoint(path, device());
      CHECK(loaded->param_counts().total == m.param_counts().total);
      std::remove(path.c_str());
    }
  }
}

TEST_CASE("sampler: bfloat16 inference stays within 30 dB SNR of float32, for both upsamplers") {
  for (const char* upsampler : {"repeat", "transposed"}) {
    auto cfg = tiny(PriorKind::Learned);
    cfg.upsampler = upsampler;
    cfg.hop = 256;
    cfg.n_fft = 512;
    rg::Model m(cfg, device(), 5);
    {
      // A nonzero output layer, so that the network's arithmetic shows in the result.
      torch::NoGradGuard no_grad;
      m.denoiser()->final_projection->weight.normal_(0, 0.3);
    }
    const auto y = rgtest::tone_pair(2, 4096).second.to(device());
    rg::RestoreOptions o;
    o.use_ema = false;
    const auto fp32 = rg::restore(m, y, o);
    o.bf16 = true;
    const auto bf16 = rg::restore(m, y, o);
    const double snr = 10 * std::log10(fp32.pow(2).sum().item<double>() / (fp32 - bf16).pow(2).sum().item<double>());
    CHECK(!torch::equal(fp32, bf16));
    if (!(snr > 30))
      rgtest::fail(__FILE__, __LINE__, std::string(upsampler) + ": bf16 against fp32 " + std::to_string(snr) + " dB");
  }
}

TEST_CASE("trainer: every speech target, with the noisy channel and condition dropout, learns x0 of a fixed pair") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  struct Variant {
    const char* target;
    bool noisy;
    double dropout;
  };
  for (const auto& v : {Variant{"epsilon", false, 0}, Variant{"x0", false, 0}, Variant{"v", false, 0},
                        Variant{"x0", true, 0}, Variant{"epsilon", true, 0.5}}) {
    auto cfg = tiny(PriorKind::Learned);
    cfg.speech_target = v.target;
    cfg.noisy_input = v.noisy;
    cfg.cond_dropout = v.dropout;
    rg::Model m(cfg, device(), 21);
    const auto [first, last] = overfit(m, x0, y);
    if (!(last * 5 <= first))
      rgtest::fail(__FILE__, __LINE__,
                   std::string(v.target) + (v.noisy ? " + noisy channel" : "") + ": the x̂0 error fell from " +
                       std::to_string(first) + " to " + std::to_string(last) + ", under 5×");
  }
}

TEST_CASE("model: the noisy channel adds one 1×1 projection, and the network output depends on it") {
  auto cfg = tiny(PriorKind::Standard);
  const auto plain = rg::Model(cfg, device(), 3).param_counts().denoiser;
  cfg.noisy_input = true;
  rg::Model m(cfg, device(), 3);
  CHECK(m.param_counts().denoiser == plain + cfg.residual_channels);
  const auto [x0, y] = rgtest::tone_pair(1, 256);
  for (int i = 0; i < 3; ++i) rg::train_step(m, x0, y, 1e-2);  // move the zero output layer
  torch::NoGradGuard no_grad;
  auto& net = m.denoiser();
  const auto spec = torch::zeros({1, cfg.cond_bins(), 16}).to(device());
  const auto x = x0.to(device()), t = torch::tensor({5.0});
  const auto with_y = net->forward(x, spec, t, y.to(device())),
             without = net->forward(x, spec, t, torch::zeros_like(x));
  CHECK((with_y - without).abs().max().item<double>() > 1e-6);
}

TEST_CASE("sampler: a loud input is not clipped at ±1; a non-finite result is an E_NATIVE error") {
  rg::Model m(tiny(PriorKind::Standard), device(), 4);
  const auto [x0, y] = rgtest::tone_pair(1, 512);
  rg::RestoreOptions o;
  o.betas = m.config().fast_betas;
  o.seeds = {1};
  const auto loud = rg::restore(m, y * 40, o);
  CHECK(loud.abs().max().item<double>() > 5);
  CHECK(torch::isfinite(loud).all().item<bool>());
  {
    torch::NoGradGuard no_grad;
    m.denoiser()->final_projection->bias.fill_(std::nan(""));
  }
  o.use_ema = false;
  CHECK_THROWS_CODE(rg::restore(m, y, o), rg::kNative);
}

TEST_CASE("prior variants: a learned prior on PriorGrad's base starts exactly as PriorGrad") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  auto cfg = tiny(PriorKind::Learned);
  cfg.prior_base = "priorgrad";
  rg::Model learned(cfg, device(), 3), priorgrad(tiny(PriorKind::PriorGrad), device(), 3);
  const auto yd = y.to(device());
  const auto spec = rg::log_spectrogram(yd, cfg.n_fft, cfg.hop);
  const auto want = priorgrad.prior_log_variance(yd, spec);
  CHECK(torch::allclose(learned.prior_log_variance(yd, spec), want, 1e-6, 1e-6));
  CHECK(torch::allclose(learned.posterior_log_variance(x0.to(device()), yd, torch::Tensor(), spec), want, 1e-6, 1e-6));
  // After training the correction has moved off zero, within its soft bounds around the base.
  for (int i = 0; i < 20; ++i) rg::train_step(learned, x0, y, 1e-2);
  const auto moved = learned.prior_log_variance(yd, spec) - want;
  CHECK(moved.abs().max().item<double>() > 1e-4);
  CHECK(moved.min().item<double>() >= cfg.log_var_min && moved.max().item<double>() <= cfg.log_var_max);
}

TEST_CASE("prior variants: block-averaged Σ is constant per block and keeps the block means") {
  const auto v = torch::arange(10, torch::kFloat32).view({1, 10});
  const auto a = rg::block_average(v, 4);  // blocks 0–3, 4–7 and a partial 8–9
  CHECK(torch::equal(a, torch::tensor({{1.5f, 1.5f, 1.5f, 1.5f, 5.5f, 5.5f, 5.5f, 5.5f, 8.5f, 8.5f}})));
  CHECK(torch::equal(rg::block_average(v, 1), v));
  const auto img = torch::arange(9, torch::kFloat32).view({1, 1, 3, 3});
  const auto b = rg::block_average(img, 2);
  CHECK(torch::equal(b, torch::tensor({{{{2.f, 2.f, 3.5f}, {2.f, 2.f, 3.5f}, {6.5f, 6.5f, 8.f}}}})));
  auto cfg = tiny(PriorKind::Learned);
  cfg.sigma_block = cfg.hop;
  rg::Model m(cfg, device(), 5);
  const auto [x0, y] = rgtest::tone_pair(1, 256);
  for (int i = 0; i < 10; ++i) rg::train_step(m, x0, y, 1e-2);
  const auto frames = m.prior_log_variance(y.to(device()), torch::Tensor()).view({1, -1, cfg.hop});
  CHECK((frames - frames.narrow(2, 0, 1)).abs().max().item<double>() < 1e-6);  // one σ per frame
}

TEST_CASE("prior variants: lrScale moves L_LR's reference from ᾱ_T to lrScale·ᾱ_T") {
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  auto cfg = tiny(PriorKind::Learned);
  cfg.lr_scale = 250;
  rg::Model m(cfg, device(), 11);
  const auto l = rg::training_loss(m, x0.to(device()), y.to(device()), torch::tensor({3, 40}, torch::kLong),
                                   torch::randn({2, 512}).to(device()));
  // σ = 1 at initialisation: L_LR = lrScale·ᾱ_T·mean(x0²).
  const double abT = m.schedule().alpha_bar.back();
  CHECK_CLOSE(l.terms.lr.item<double>(), 250 * abT * x0.pow(2).mean().item<double>(), 1e-5);
}

TEST_CASE("regression: one network pass from y at step 0, trained on the squared error of x̂0") {
  auto cfg = tiny(PriorKind::Standard);
  cfg.speech_objective = "regression";
  rg::Model m(cfg, device(), 5);
  const auto [x0, y] = rgtest::tone_pair(2, 512);
  for (int i = 0; i < 3; ++i) rg::train_step(m, x0, y, 1e-2);  // move the zero output layer
  const auto x0d = x0.to(device()), yd = y.to(device());
  const auto f_y = [&] {
    torch::NoGradGuard no_grad;
    m.set_training(false);
    const auto spec = rg::log_spectrogram(yd, cfg.n_fft, cfg.hop);
    return m.denoiser()->forward(yd, spec, torch::zeros({2}, torch::kLong).to(device()), torch::Tensor());
  }();
  const auto loss = rg::training_loss(m, x0d, yd, torch::randint(0, 50, {2}, torch::kLong), torch::randn_like(x0d));
  CHECK_CLOSE(loss.terms.total.item<double>(), (f_y - x0d).pow(2).mean().item<double>(), 1e-6);

  rg::RestoreOptions o;
  o.betas = cfg.fast_betas;
  o.seeds = {1};
  o.use_ema = false;
  const auto nets = m.counters().network_runs.load();
  const auto restored = rg::restore(m, y, o);
  CHECK(m.counters().network_runs.load() - nets == 1);  // one pass, whatever the step count
  const auto blended = ((1 - cfg.output_blend) * f_y + cfg.output_blend * yd).cpu();
  CHECK((restored - blended).abs().max().item<double>() < 1e-5);

  rg::Model fresh(cfg, device(), 6);
  const auto [first, last] = overfit(fresh, x0, y);
  CHECK(last * 5 <= first);

  cfg.prior = PriorKind::Learned;
  CHECK_THROWS_CODE(rg::validate(cfg), rg::kConfig);
}
