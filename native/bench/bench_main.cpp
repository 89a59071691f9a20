// Micro-benchmarks of the core: training step and fused sampler at the paper's and smaller sizes.
// Usage: rg_bench [device=cpu] [threads=2]. Prints a markdown table.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "model.h"
#include "sampler.h"
#include "trainer.h"

namespace {

double seconds_of(const std::function<void()>& fn, int repeats) {
  fn();  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) fn();
  const std::chrono::duration<double> d = std::chrono::steady_clock::now() - t0;
  return d.count() / repeats;
}

void sync(torch::Device device) {
  if (device.is_cuda()) torch::ones({1}, device).cpu();  // waits for queued kernels
}

}  // namespace

int main(int argc, char** argv) {
  const torch::Device device(argc > 1 ? argv[1] : "cpu");
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  at::set_num_threads(threads);
  std::printf(
      "| config | batch × samples | train step (s) | restore 6 steps (s) | audio s / s |\n|---|---|---|---|---|\n");
  struct Case {
    const char* name;
    int layers, channels;
    const char* upsampler;
    int batch, samples;
  };
  // The CPU cases stay small enough for a 2-core machine; the GPU ones fill a batch.
  const std::vector<Case> cases = device.is_cuda() ? std::vector<Case>{{"speech-base", 30, 64, "transposed", 1, 64000},
                                                                       {"speech-base", 30, 64, "transposed", 64, 16000},
                                                                       {"speech-small", 12, 32, "repeat", 64, 16000}}
                                                   : std::vector<Case>{{"speech-base", 30, 64, "transposed", 1, 16000},
                                                                       {"speech-small", 12, 32, "repeat", 4, 16000}};
  for (const auto& c : cases) {
    rg::ModelConfig cfg;
    cfg.residual_layers = c.layers;
    cfg.residual_channels = c.channels;
    cfg.upsampler = c.upsampler;
    rg::Model m(cfg, device, 1);
    const auto y = 0.1 * torch::randn({c.batch, c.samples});
    const auto train_y = y.narrow(1, 0, 15872);
    const int repeats = device.is_cuda() ? 10 : 1;
    const double train = seconds_of(
        [&] {
          rg::train_step(m, train_y, train_y);
          sync(device);
        },
        repeats);
    rg::RestoreOptions o;
    o.betas = cfg.fast_betas;
    const double restore = seconds_of(
        [&] {
          rg::restore(m, y, o);
          sync(device);
        },
        repeats);
    std::printf("| %s | %d × %d | %.3f | %.3f | %.1f |\n", c.name, c.batch, c.samples, train, restore,
                c.batch * c.samples / 16000.0 / restore);
  }
  return 0;
}
