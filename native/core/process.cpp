#include "process.h"

#include <algorithm>
#include <cmath>

namespace rg {

torch::Tensor alpha_bar_like(const torch::Tensor& alpha_bar, const torch::Tensor& x) {
  if (alpha_bar.dim() == 0) return alpha_bar;
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = -1;
  return alpha_bar.view(shape);
}

torch::Tensor noise_from(const torch::Tensor& prediction, const torch::Tensor& x_t, const torch::Tensor& alpha_bar,
                         Target target) {
  switch (target) {
    case Target::Epsilon: return prediction;
    case Target::X0: return (x_t - alpha_bar.sqrt() * prediction) / (1 - alpha_bar).sqrt();
    case Target::V: return (1 - alpha_bar).sqrt() * x_t + alpha_bar.sqrt() * prediction;
  }
  return prediction;
}

torch::Tensor x0_from(const torch::Tensor& prediction, const torch::Tensor& x_t, const torch::Tensor& alpha_bar,
                      Target target) {
  switch (target) {
    case Target::Epsilon: return (x_t - (1 - alpha_bar).sqrt() * prediction) / alpha_bar.sqrt();
    case Target::X0: return prediction;
    case Target::V: return alpha_bar.sqrt() * x_t - (1 - alpha_bar).sqrt() * prediction;
  }
  return prediction;
}

torch::Tensor target_from(const torch::Tensor& x0, const torch::Tensor& noise, const torch::Tensor& alpha_bar,
                          Target target) {
  switch (target) {
    case Target::Epsilon: return noise;
    case Target::X0: return x0;
    case Target::V: return alpha_bar.sqrt() * noise - (1 - alpha_bar).sqrt() * x0;
  }
  return noise;
}

Diffused diffuse_conditional(const torch::Tensor& x0, const torch::Tensor& y, const torch::Tensor& alpha_bar,
                             const torch::Tensor& eps, Target target) {
  const auto ab = alpha_bar_like(alpha_bar, x0);
  const auto sqrt_ab = ab.sqrt();
  const auto m = ((1 - ab) / sqrt_ab).clamp_max(1.0).sqrt();
  const auto sqrt_delta = (1 - (1 + m * m) * ab).clamp_min(0.0).sqrt();
  const auto x_t = (1 - m) * sqrt_ab * x0 + m * sqrt_ab * y + sqrt_delta * eps;
  const auto g = (m * sqrt_ab * (y - x0) + sqrt_delta * eps) / (1 - ab).sqrt();
  return {x_t, target_from(x0, g, ab, target)};
}

Diffused diffuse_ddpm(const torch::Tensor& x0, const torch::Tensor& alpha_bar, const torch::Tensor& eps,
                      Target target) {
  const auto ab = alpha_bar_like(alpha_bar, x0);
  return {ab.sqrt() * x0 + (1 - ab).sqrt() * eps, target_from(x0, eps, ab, target)};
}

torch::Tensor conditional_start(const ReverseSchedule& rs, const torch::Tensor& y, const torch::Tensor& noise) {
  const int S = rs.size();
  return std::sqrt(rs.alpha_bar[S - 1]) * y + std::sqrt(rs.delta[S - 1]) * noise;
}

torch::Tensor conditional_step(const ReverseSchedule& rs, int n, const torch::Tensor& x, const torch::Tensor& y,
                               const torch::Tensor& noise_estimate, const torch::Tensor& noise) {
  if (n == 0) return rs.c1[0] * x - rs.c3[0] * noise_estimate;
  return rs.c1[n] * x + rs.c2[n] * y - rs.c3[n] * noise_estimate + std::sqrt(rs.delta_bar[n]) * noise;
}

std::vector<int64_t> ddim_timesteps(int train_steps, int steps) {
  std::vector<int64_t> t;
  const int64_t skip = train_steps / steps;
  for (int64_t i = 0; i < steps; ++i) t.push_back(i * skip);
  return t;
}

torch::Tensor ddim_step(const torch::Tensor& x0, const torch::Tensor& noise_estimate, double alpha_bar,
                        double alpha_bar_prev, double eta, const torch::Tensor& fresh) {
  const double at = alpha_bar, an = alpha_bar_prev;
  const double c1 = eta * std::sqrt((1 - at / an) * (1 - an) / (1 - at));
  const double c2 = std::sqrt(std::max(1 - an - c1 * c1, 0.0));
  auto x = std::sqrt(an) * x0 + c2 * noise_estimate;
  if (c1 > 0) x = x + c1 * fresh;
  return x;
}

}  // namespace rg
