// The diffusion processes against their formulas, in float64, at several noise levels.
#include <cmath>

#include "process.h"
#include "schedule.h"
#include "test.h"

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// Three items at the given ᾱ, 64 samples each.
struct Batch {
  torch::Tensor x0, y, eps, alpha_bar;
};
Batch batch(const std::vector<double>& alpha_bar) {
  torch::manual_seed(7);
  const int64_t B = static_cast<int64_t>(alpha_bar.size());
  const auto x0 = 0.1 * torch::randn({B, 64}, f64);
  return {x0, x0 + 0.05 * torch::randn({B, 64}, f64), torch::randn({B, 64}, f64), torch::tensor(alpha_bar, f64)};
}

}  // namespace

TEST_CASE("process: CDiffuSE's forward process and ε target follow the formulas") {
  const auto b = batch({0.999, 0.7, 0.41});
  const auto d = rg::diffuse_conditional(b.x0, b.y, b.alpha_bar, b.eps, rg::Target::Epsilon);
  for (int64_t i = 0; i < 3; ++i) {
    const double ab = b.alpha_bar[i].item<double>();
    const double m = std::sqrt(std::min((1 - ab) / std::sqrt(ab), 1.0));
    const double delta = std::max(1 - (1 + m * m) * ab, 0.0);
    const auto x_t = (1 - m) * std::sqrt(ab) * b.x0[i] + m * std::sqrt(ab) * b.y[i] + std::sqrt(delta) * b.eps[i];
    const auto g = (m * std::sqrt(ab) * (b.y[i] - b.x0[i]) + std::sqrt(delta) * b.eps[i]) / std::sqrt(1 - ab);
    CHECK(max_abs(d.x_t[i], x_t) < 1e-14);
    CHECK(max_abs(d.target[i], g) < 1e-14);
    // Both processes share x_t = √ᾱ·x0 + √(1−ᾱ)·g.
    CHECK(max_abs(d.x_t[i], std::sqrt(ab) * b.x0[i] + std::sqrt(1 - ab) * g) < 1e-14);
  }
}

TEST_CASE("process: x0 and v targets, and every conversion back, at several noise levels") {
  const auto b = batch({0.9999, 0.95, 0.41});
  const auto eps_d = rg::diffuse_conditional(b.x0, b.y, b.alpha_bar, b.eps, rg::Target::Epsilon);
  const auto ab = b.alpha_bar.view({-1, 1});
  const auto g = eps_d.target;
  const auto v = ab.sqrt() * g - (1 - ab).sqrt() * b.x0;
  const auto x0_d = rg::diffuse_conditional(b.x0, b.y, b.alpha_bar, b.eps, rg::Target::X0);
  const auto v_d = rg::diffuse_conditional(b.x0, b.y, b.alpha_bar, b.eps, rg::Target::V);
  CHECK(max_abs(x0_d.target, b.x0) == 0);
  CHECK(max_abs(v_d.target, v) < 1e-15);
  CHECK(max_abs(x0_d.x_t, eps_d.x_t) == 0);  // the target never changes the forward process
  for (const auto& [target, prediction] :
       {std::pair{rg::Target::Epsilon, g}, std::pair{rg::Target::X0, b.x0}, std::pair{rg::Target::V, v}}) {
    CHECK(max_abs(rg::x0_from(prediction, eps_d.x_t, ab, target), b.x0) < 1e-12);
    CHECK(max_abs(rg::noise_from(prediction, eps_d.x_t, ab, target), g) < 1e-10);
  }
}

TEST_CASE("process: DDPM's forward process and targets") {
  const auto b = batch({0.99, 0.3, 4e-5});
  for (auto target : {rg::Target::Epsilon, rg::Target::X0, rg::Target::V}) {
    const auto d = rg::diffuse_ddpm(b.x0, b.alpha_bar, b.eps, target);
    const auto ab = b.alpha_bar.view({-1, 1});
    CHECK(max_abs(d.x_t, ab.sqrt() * b.x0 + (1 - ab).sqrt() * b.eps) < 1e-15);
    CHECK(max_abs(rg::noise_from(d.target, d.x_t, ab, target), b.eps) < 1e-10);
  }
}

TEST_CASE("process: every CDiffuSE reverse step is the exact posterior mean given the true noise") {
  // With the true ĝ, c1·x_t + c2·y − c3·ĝ must equal E[x_{n−1} | x_n, x0, y] of the forward
  // process, whose one-step transition is x_n = K·x_{n−1} + (b_n − K·b_{n−1})·y + noise with
  // K = √α_n·(1−m_n)/(1−m_{n−1}), a = (1−m)√ᾱ on x0 and b = m√ᾱ on y.
  const auto train = rg::linear_schedule(50, 1e-4, 0.035);
  for (const auto& betas : {std::vector<double>{}, std::vector<double>{1e-4, 1e-3, 0.01, 0.05, 0.2, 0.35}}) {
    const auto rs = rg::reverse_schedule(train, betas);
    for (int n = 0; n < rs.size(); ++n) {
      const auto b = batch({rs.alpha_bar[n]});
      const auto d = rg::diffuse_conditional(b.x0, b.y, b.alpha_bar, b.eps, rg::Target::Epsilon);
      const auto mean = rg::conditional_step(rs, n, d.x_t, b.y, d.target, torch::zeros_like(b.y));
      if (n == 0) {
        CHECK(max_abs(mean, b.x0) < 1e-12);  // the last step lands on x0
        continue;
      }
      const double ab = rs.alpha_bar[n], ab_prev = rs.alpha_bar[n - 1];
      const double a = (1 - rs.m[n]) * std::sqrt(ab), bn = rs.m[n] * std::sqrt(ab);
      const double a_prev = (1 - rs.m[n - 1]) * std::sqrt(ab_prev), b_prev = rs.m[n - 1] * std::sqrt(ab_prev);
      const double K = std::sqrt(rs.alpha[n]) * (1 - rs.m[n]) / (1 - rs.m[n - 1]);
      const auto want =
          a_prev * b.x0 + b_prev * b.y + (K * rs.delta[n - 1] / rs.delta[n]) * (d.x_t - a * b.x0 - bn * b.y);
      CHECK(max_abs(mean, want) < 1e-12);
      // Its noise: the posterior variance δ_{n−1} − K²δ²_{n−1}/δ_n.
      const double var = rs.delta[n - 1] - K * K * rs.delta[n - 1] * rs.delta[n - 1] / rs.delta[n];
      CHECK_CLOSE(rs.delta_bar[n], std::max(var, 0.0), 1e-14);
    }
  }
}

TEST_CASE("process: the reverse start and DDIM's step follow their formulas") {
  const auto train = rg::linear_schedule(50, 1e-4, 0.035);
  const auto rs = rg::reverse_schedule(train, {1e-4, 1e-3, 0.01, 0.05, 0.2, 0.35});
  const auto b = batch({0.5});
  const auto start = rg::conditional_start(rs, b.y, b.eps);
  CHECK(max_abs(start, std::sqrt(rs.alpha_bar[5]) * b.y + std::sqrt(rs.delta[5]) * b.eps) < 1e-15);
  // Deterministic DDIM with the true noise moves x_t exactly onto the previous level's x_t.
  const double at = 0.3, an = 0.8;
  const auto x_prev = rg::ddim_step(b.x0, b.eps, at, an, 0.0, torch::Tensor());
  CHECK(max_abs(x_prev, std::sqrt(an) * b.x0 + std::sqrt(1 - an) * b.eps) < 1e-15);
  // η = 1: σ² = (1−ᾱ_n)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_n), DDPM's posterior variance.
  const auto fresh = torch::ones_like(b.x0);
  const auto x_eta = rg::ddim_step(b.x0, torch::zeros_like(b.x0), at, an, 1.0, fresh);
  const double sigma = std::sqrt((1 - an) / (1 - at) * (1 - at / an));
  CHECK(max_abs(x_eta, std::sqrt(an) * b.x0 + sigma) < 1e-15);
  CHECK((rg::ddim_timesteps(1000, 10) == std::vector<int64_t>{0, 100, 200, 300, 400, 500, 600, 700, 800, 900}));
}

TEST_CASE("process: target names parse and print; others are a config error") {
  for (auto t : {rg::Target::Epsilon, rg::Target::X0, rg::Target::V}) CHECK(rg::parse_target(rg::target_name(t)) == t);
  CHECK_THROWS_CODE(rg::parse_target("eps"), rg::kConfig);
}
