#include <cmath>

#include "schedule.h"
#include "test.h"

TEST_CASE("schedule: linear betas and cumulative alphas match closed form") {
  const auto s = rg::linear_schedule(50, 1e-4, 0.035);
  CHECK(s.beta.size() == 50);
  CHECK_CLOSE(s.beta[0], 1e-4, 1e-15);
  CHECK_CLOSE(s.beta[49], 0.035, 1e-15);
  double prod = 1;
  for (int i = 0; i < 50; ++i) prod *= 1 - (1e-4 + (0.035 - 1e-4) * i / 49.0);
  CHECK_CLOSE(s.alpha_bar[49], prod, 1e-14);
  CHECK_CLOSE(s.alpha_bar[49], 0.41, 0.01);  // CDiffuSE's schedule: ᾱ_T ≈ 0.41
}

TEST_CASE("schedule: fast steps align to the training step with the same sqrt(alpha_bar)") {
  const auto train = rg::linear_schedule(50, 1e-4, 0.035);
  const auto r = rg::reverse_schedule(train, {1e-4, 1e-3, 0.01, 0.05, 0.2, 0.35});
  CHECK(r.size() == 6);
  CHECK_CLOSE(r.t[0], 0.0, 1e-12);  // same β as training step 0
  for (int i = 0; i < 6; ++i) {
    // Interpolating √ᾱ of the training schedule at t must give back the inference √ᾱ.
    const int k = static_cast<int>(std::floor(r.t[i]));
    const double f = r.t[i] - k;
    const double a = std::sqrt(train.alpha_bar[k]), b = std::sqrt(train.alpha_bar[std::min(k + 1, 49)]);
    CHECK_CLOSE(a + (b - a) * f, std::sqrt(r.alpha_bar[i]), 1e-12);
    if (i > 0) CHECK(r.t[i] > r.t[i - 1]);
  }
}

TEST_CASE("schedule: reverse coefficients of the full schedule follow CDiffuSE's formulas") {
  const auto train = rg::linear_schedule(50, 1e-4, 0.035);
  const auto r = rg::reverse_schedule(train, {});
  CHECK(r.size() == 50);
  CHECK_CLOSE(r.t[49], 49.0, 0);
  // Step 0: plain DDPM mean, no y term, no noise.
  CHECK_CLOSE(r.c1[0], 1 / std::sqrt(r.alpha[0]), 1e-14);
  CHECK_CLOSE(r.c2[0], 0.0, 0);
  CHECK_CLOSE(r.delta_bar[0], 0.0, 0);
  // m and δ at the last step, by hand.
  const double ab = train.alpha_bar[49];
  const double m = std::sqrt(std::min((1 - ab) / std::sqrt(ab), 1.0));
  CHECK_CLOSE(r.m[49], m, 1e-14);
  CHECK_CLOSE(r.delta[49], 1 - (1 + m * m) * ab, 1e-14);
  for (int n = 1; n < 50; ++n) CHECK(r.delta_bar[n] >= 0);
}

TEST_CASE("schedule: a schedule noisier than training is rejected") {
  const auto train = rg::linear_schedule(50, 1e-4, 0.035);
  CHECK_THROWS_CODE(rg::reverse_schedule(train, {0.5, 0.5}), rg::kInput);
  CHECK_THROWS_CODE(rg::reverse_schedule(train, {0.0}), rg::kInput);
}
