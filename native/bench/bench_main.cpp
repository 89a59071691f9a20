// Micro-benchmarks of the core: training step and fused sampler at the paper's and smaller sizes.
// Usage: rg_bench [device=cpu] [threads=2] [image-base]. Prints markdown tables. Images restore a
// 256×256 picture with 10 DDIM steps: image-small always, image-base on CUDA or when named.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "image_sampler.h"
#include "model.h"
#include "sampler.h"
#include "threads.h"
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

void bench_images(torch::Device device, bool with_base) {
  std::printf(
      "\n| config | picture | DDIM steps | patches per forward | restore (s) | pictures / s "
      "|\n|---|---|---|---|---|---|\n");
  auto small = rg::default_config(rg::Modality::Image);  // image-small, as lib/config.ts defines it
  small.patch_size = 32;
  small.unet_width = 32;
  small.unet_multipliers = {1, 2, 2};
  small.unet_res_blocks = 1;
  small.attention_resolutions = {8};
  small.encoder_width = 8;
  small.encoder_blocks = 2;
  std::vector<std::pair<const char*, rg::ModelConfig>> cases = {{"image-small", small}};
  if (with_base) cases.emplace_back("image-base", rg::default_config(rg::Modality::Image));
  const auto picture = torch::rand({3, 256, 256});
  for (const auto& [name, cfg] : cases) {
    rg::Model m(cfg, device, 1);
    rg::ImageRestoreOptions o;
    o.steps = 10;
    o.use_ema = false;
    o.max_patches = device.is_cuda() ? 256 : 16;
    const double t = seconds_of([&] { rg::restore_image(m, picture, o); }, device.is_cuda() ? 5 : 1);
    std::printf("| %s | 256 × 256 | %d | %d | %.3f | %.2f |\n", name, o.steps, o.max_patches, t, 1 / t);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const torch::Device device(argc > 1 ? argv[1] : "cpu");
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  rg::set_threads(threads);
  std::printf(
      "| config | batch × samples | train step (s) | restore 6 steps (s) | audio s / s | bf16 restore (s) | bf16 audio "
      "s / s "
      "| bf16 vs fp32 SNR (dB) |\n|---|---|---|---|---|---|---|---|\n");
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
    {
      // A nonzero output layer (time does not depend on it), so the bf16 error shows in the output.
      torch::NoGradGuard no_grad;
      m.denoiser()->final_projection->weight.normal_(0, 0.3);
    }
    rg::RestoreOptions o;
    o.betas = cfg.fast_betas;
    o.use_ema = false;
    torch::Tensor out32, out16;
    const double restore = seconds_of(
        [&] {
          out32 = rg::restore(m, y, o);
          sync(device);
        },
        repeats);
    o.bf16 = true;
    const double restore16 = seconds_of(
        [&] {
          out16 = rg::restore(m, y, o);
          sync(device);
        },
        repeats);
    const double snr = 10 * std::log10(out32.pow(2).sum().item<double>() /
                                       (out32 - out16).pow(2).sum().clamp_min(1e-30).item<double>());
    const double audio = c.batch * c.samples / 16000.0;
    std::printf("| %s | %d × %d | %.3f | %.3f | %.1f | %.3f | %.1f | %.1f |\n", c.name, c.batch, c.samples, train,
                restore, audio / restore, restore16, audio / restore16, snr);
  }
  bench_images(device, device.is_cuda() || (argc > 3 && std::string(argv[3]) == "image-base"));
  return 0;
}
