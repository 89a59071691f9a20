// Noise schedules of CDiffuSE's conditional diffusion process, in float64.
#pragma once
#include <vector>

namespace rg {

// Training schedule: linear β from beta_start to beta_end over `steps`.
struct Schedule {
  std::vector<double> beta, alpha, alpha_bar;
};
Schedule linear_schedule(int steps, double beta_start, double beta_end);

// Conditional interpolation weight m_t = √min((1−ᾱ_t)/√ᾱ_t, 1) and the noise variance
// δ_t = max(1 − (1 + m_t²)·ᾱ_t, 0) of x_t = (1−m_t)√ᾱ_t·x0 + m_t√ᾱ_t·y + √δ_t·ε.
double cond_m(double alpha_bar);
double cond_delta(double alpha_bar);

// Coefficients of the reverse process x ← c1·x + c2·y − c3·ε_θ + √δ̄·z for one inference schedule
// (CDiffuSE's inference_schedule), with each step aligned to a fractional training step.
struct ReverseSchedule {
  std::vector<double> beta, alpha, alpha_bar, m, delta, delta_bar, c1, c2, c3;
  std::vector<double> t;  // fractional training step fed to the step embedding
  int size() const { return static_cast<int>(beta.size()); }
};

// `betas` empty means the training schedule itself.
ReverseSchedule reverse_schedule(const Schedule& train, const std::vector<double>& betas);

// DiffWave's alignment: the fractional training step whose √ᾱ matches each inference ᾱ.
// Throws rg::Error(kInput) when a step lies beyond the training schedule's noise range.
std::vector<double> align_steps(const Schedule& train, const std::vector<double>& alpha_bar);

}  // namespace rg
