#include "schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"

namespace rg {

namespace {

void cumulate(const std::vector<double>& beta, std::vector<double>& alpha, std::vector<double>& alpha_bar) {
  alpha.resize(beta.size());
  alpha_bar.resize(beta.size());
  double prod = 1.0;
  for (size_t i = 0; i < beta.size(); ++i) {
    alpha[i] = 1.0 - beta[i];
    prod *= alpha[i];
    alpha_bar[i] = prod;
  }
}

}  // namespace

Schedule linear_schedule(int steps, double beta_start, double beta_end) {
  Schedule s;
  s.beta.resize(steps);
  for (int i = 0; i < steps; ++i)
    s.beta[i] = steps == 1 ? beta_start : beta_start + (beta_end - beta_start) * i / (steps - 1);
  cumulate(s.beta, s.alpha, s.alpha_bar);
  return s;
}

double cond_m(double alpha_bar) {
  return std::sqrt(std::min((1.0 - alpha_bar) / std::sqrt(alpha_bar), 1.0));
}

double cond_delta(double alpha_bar) {
  const double m = cond_m(alpha_bar);
  return std::max(1.0 - (1.0 + m * m) * alpha_bar, 0.0);
}

std::vector<double> align_steps(const Schedule& train, const std::vector<double>& alpha_bar) {
  const auto& ta = train.alpha_bar;
  std::vector<double> t;
  for (double a : alpha_bar) {
    if (a >= ta.front()) {  // less noise than the first training step: the first step itself
      t.push_back(0.0);
      continue;
    }
    bool found = false;
    for (size_t k = 0; k + 1 < ta.size() && !found; ++k) {
      if (ta[k + 1] <= a && a <= ta[k]) {
        const double twiddle = (std::sqrt(ta[k]) - std::sqrt(a)) / (std::sqrt(ta[k]) - std::sqrt(ta[k + 1]));
        t.push_back(static_cast<double>(k) + twiddle);
        found = true;
      }
    }
    if (!found)
      throw Error(kInput, "inference schedule reaches ᾱ = " + std::to_string(a) +
                              ", below the training schedule's last ᾱ = " + std::to_string(ta.back()));
  }
  return t;
}

ReverseSchedule reverse_schedule(const Schedule& train, const std::vector<double>& betas) {
  ReverseSchedule r;
  r.beta = betas.empty() ? train.beta : betas;
  for (double b : r.beta)
    if (!(b > 0 && b < 1)) throw Error(kInput, "every β of an inference schedule must be in (0, 1)");
  cumulate(r.beta, r.alpha, r.alpha_bar);
  const int n = r.size();
  r.m.resize(n);
  r.delta.resize(n);
  r.delta_bar.assign(n, 0.0);
  r.c1.resize(n);
  r.c2.assign(n, 0.0);
  r.c3.resize(n);
  for (int i = 0; i < n; ++i) {
    r.m[i] = cond_m(r.alpha_bar[i]);
    r.delta[i] = cond_delta(r.alpha_bar[i]);
  }
  for (int i = 0; i < n; ++i) {
    const double a = r.alpha[i], ab = r.alpha_bar[i];
    if (i == 0) {
      r.c1[i] = 1.0 / std::sqrt(a);
      r.c3[i] = r.c1[i] * r.beta[i] / std::sqrt(1.0 - ab);
      continue;
    }
    const double k = (1.0 - r.m[i]) / (1.0 - r.m[i - 1]);
    const double delta_cond = r.delta[i] - k * k * a * r.delta[i - 1];
    r.delta_bar[i] = std::max(delta_cond * r.delta[i - 1] / r.delta[i], 0.0);
    r.c1[i] = k * (r.delta[i - 1] / r.delta[i]) * std::sqrt(a) +
              (1.0 - r.m[i - 1]) * (delta_cond / r.delta[i]) / std::sqrt(a);
    r.c2[i] = (r.m[i - 1] * r.delta[i] - (r.m[i] * (1.0 - r.m[i])) / (1.0 - r.m[i - 1]) * a * r.delta[i - 1]) *
              (std::sqrt(r.alpha_bar[i - 1]) / r.delta[i]);
    r.c3[i] = (1.0 - r.m[i - 1]) * (delta_cond / r.delta[i]) * std::sqrt(1.0 - ab) / std::sqrt(a);
  }
  if (betas.empty()) {
    r.t.resize(n);
    for (int i = 0; i < n; ++i) r.t[i] = i;
  } else {
    r.t = align_steps(train, r.alpha_bar);
  }
  return r;
}

}  // namespace rg
