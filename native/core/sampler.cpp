#include "sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "error.h"
#include "process.h"
#include "spectrogram.h"

namespace rg {

namespace {

// The whole reverse process for one group of items; `cache` keeps the conditioner's projections
// for the call, otherwise they are projected again at every step. `sigma_out`: see restore().
torch::Tensor restore_group(Model& model, const torch::Tensor& degraded, const RestoreOptions& options,
                            const std::vector<uint64_t>& seeds, const ReverseSchedule& rs, bool cache,
                            torch::Tensor* sigma_out) {
  const auto& cfg = model.config();
  const auto y = model.prepare(degraded, "input");
  const int64_t length = degraded.size(1);
  auto& counters = model.counters();

  // Step-invariant work, once per call.
  const auto spec = log_spectrogram(y, cfg.n_fft, cfg.hop);
  const auto cond = model.denoiser()->condition(spec, cache, options.bf16, cfg.noisy_input ? y : torch::Tensor());
  ++counters.conditioner_runs;
  const auto steps = model.denoiser()->step_terms(torch::tensor(rs.t, torch::kFloat64));
  ++counters.step_embedding_runs;
  const auto prior = model.prior_log_variance(y, spec);
  const auto sigma = prior.defined() ? torch::exp(0.5 * prior) : torch::ones_like(y);

  std::vector<at::Generator> gens;
  for (const auto seed : seeds) gens.push_back(at::make_generator<at::CPUGeneratorImpl>(seed));
  const auto noise = [&] {
    std::vector<torch::Tensor> rows;
    for (auto& g : gens) rows.push_back(torch::randn({y.size(1)}, g, torch::kFloat32));
    return torch::stack(rows).to(model.device()) * sigma;
  };
  // A bound far outside any restoration of y keeps a diverging estimate from running away, without
  // clipping a loud input as a fixed ±1 did.
  const auto bound = (4 * y.abs().amax(1, true)).clamp_min(1.0);
  const auto target = cfg.target();
  const auto finish = [&](const torch::Tensor& x) {
    auto restored = x.narrow(1, 0, length).to(torch::kCPU).contiguous();
    if (!torch::isfinite(restored).all().item<bool>())
      throw Error(kNative, "restoration produced non-finite values (NaN or Inf)");
    if (sigma_out) *sigma_out = sigma.narrow(1, 0, length).to(torch::kCPU).contiguous();
    return restored;
  };
  if (cfg.regression()) {
    // One pass, as trained: step 0 with y in x_t's place; the same blend and bound as the sampler's last step.
    const auto x0 =
        model.denoiser()->forward_cached(y, cond, model.denoiser()->step_terms(torch::zeros({1}, torch::kFloat64)));
    ++counters.network_runs;
    return finish(torch::max(torch::min((1 - cfg.output_blend) * x0 + cfg.output_blend * y, bound), -bound));
  }
  const int S = rs.size();
  auto x = conditional_start(rs, y, noise());
  for (int n = S - 1; n >= 0; --n) {
    if (options.cancel && options.cancel->load()) throw Error(kAborted, "restoration aborted");
    const auto prediction = model.denoiser()->forward_cached(x, cond, steps.narrow(0, n, 1));
    ++counters.network_runs;
    const auto eps = noise_from(prediction, x, torch::scalar_tensor(rs.alpha_bar[n], x.options()), target);
    x = conditional_step(rs, n, x, y, eps, n > 0 ? noise() : torch::Tensor());
    if (n == 0) x = (1 - cfg.output_blend) * x + cfg.output_blend * y;
    x = torch::max(torch::min(x, bound), -bound);
  }
  return finish(x);
}

}  // namespace

int64_t conditioner_cache_bytes(const ModelConfig& cfg, int64_t samples, bool bf16) {
  const int64_t frames = (samples + cfg.hop - 1) / cfg.hop;  // the sampler pads to whole frames
  const int64_t positions = cfg.upsampler == "repeat" ? frames : frames * cfg.hop;
  return positions * 2 * cfg.residual_channels * cfg.residual_layers * (bf16 ? 2 : 4);
}

torch::Tensor restore(Model& model, const torch::Tensor& degraded, const RestoreOptions& options,
                      torch::Tensor* sigma) {
  if (degraded.dim() != 2) throw Error(kInput, "input must be [batch, samples]");
  const int64_t B = degraded.size(0);
  if (options.seeds.empty() || (options.seeds.size() != 1 && static_cast<int64_t>(options.seeds.size()) != B))
    throw Error(kInput, "give one seed, or one seed per input");
  std::vector<uint64_t> seeds;
  for (int64_t b = 0; b < B; ++b) seeds.push_back(options.seeds.size() == 1 ? options.seeds[0] + b : options.seeds[b]);
  const auto rs = reverse_schedule(model.schedule(), options.betas);
  EmaScope weights(model, options.use_ema);
  model.set_training(false);
  c10::InferenceMode inference;

  // Items are independent: a batch whose cache would not fit runs as groups that do, which costs
  // no more arithmetic, rather than projecting the conditioner again at every step. Only items
  // too long to cache even alone run uncached, all together.
  const int64_t per_item = conditioner_cache_bytes(model.config(), degraded.size(1), options.bf16);
  const int64_t group = std::min(options.max_cache_bytes / std::max<int64_t>(per_item, 1), B);
  if (group < 1) return restore_group(model, degraded, options, seeds, rs, false, sigma);
  if (group >= B) return restore_group(model, degraded, options, seeds, rs, true, sigma);
  std::vector<torch::Tensor> parts, sigmas;
  for (int64_t start = 0; start < B; start += group) {
    const int64_t n = std::min(group, B - start);
    const std::vector<uint64_t> part_seeds(seeds.begin() + start, seeds.begin() + start + n);
    torch::Tensor part_sigma;
    parts.push_back(restore_group(model, degraded.narrow(0, start, n), options, part_seeds, rs, true,
                                  sigma ? &part_sigma : nullptr));
    if (sigma) sigmas.push_back(part_sigma);
  }
  if (sigma) *sigma = torch::cat(sigmas, 0);
  return torch::cat(parts, 0);
}

}  // namespace rg
