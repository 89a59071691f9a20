// rg_train_images: trains an image model from raw 8-bit pictures with no Node, for GPU machines
// and long runs. Pictures are packed RGB, [N, 3, S, S] uint8 (scripts/bench/pack-images.js).
// Each step draws random patches (flipped at random) and degrades them as the TypeScript side
// does: Gaussian noise of a σ drawn from --sigma, rounded and clipped to 8 bits; or rain, a
// random crop of a packed opacity layer screened over the patch (v + (255 − v)·a, rounded).
// Every --eval-every steps the fixed test set is restored with the config's DDIM steps and its
// fast steps and scored by RGB PSNR (DIR/log.csv); DIR/model.safetensors (and its
// weights alone, DIR/weights.safetensors) is saved atomically. --init CHECKPOINT goes on training
// a saved model.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "checkpoint.h"
#include "error.h"
#include "image_sampler.h"
#include "json.h"
#include "model.h"
#include "pictures.h"
#include "threads.h"
#include "trainer.h"

namespace {

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  // On 8-bit values, as the TypeScript metrics see written files.
  const auto qa = (a * 255).round(), qb = (b * 255).round();
  const double mse = (qa - qb).pow(2).mean().item<double>();
  return 10 * std::log10(255.0 * 255.0 / std::max(mse, 1e-12));
}

struct PatchDrawer {
  torch::Tensor pictures, rain;  // uint8 [N, 3, S, S]; rain: [M, 1, R, R] or undefined
  double sigma_lo, sigma_hi;
  std::mt19937_64 rng;

  int64_t uniform(int64_t n) { return std::uniform_int_distribution<int64_t>(0, n - 1)(rng); }

  torch::Tensor crop(const torch::Tensor& packed, int64_t size) {
    const int64_t side = packed.size(2);
    return packed[uniform(packed.size(0))]
        .narrow(1, uniform(side - size + 1), size)
        .narrow(2, uniform(side - size + 1), size)
        .to(torch::kFloat);
  }

  // clean, degraded: [B, 3, P, P] in [0, 1].
  void draw(int64_t batch, int64_t size, torch::Tensor& clean, torch::Tensor& degraded) {
    std::vector<torch::Tensor> cs, ds;
    for (int64_t b = 0; b < batch; ++b) {
      auto c = crop(pictures, size);
      if (uniform(2)) c = c.flip(2);
      torch::Tensor d;
      if (rain.defined()) {
        d = (c + (255 - c) * crop(rain, size) / 255).round();
      } else {
        const double sigma = std::uniform_real_distribution<double>(sigma_lo, sigma_hi)(rng);
        d = (c + sigma * torch::randn(c.sizes())).round().clamp(0, 255);
      }
      cs.push_back(c / 255);
      ds.push_back(d / 255);
    }
    clean = torch::stack(cs);
    degraded = torch::stack(ds);
  }
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const rgtool::Args a(argc, argv);
    rg::set_threads(std::stoi(a.get("threads", "4")));
    torch::manual_seed(std::stoull(a.get("seed", "1")));
    const torch::Device device(a.get("device", "cpu"));
    const auto model_ptr = a.model(device);
    auto& model = *model_ptr;
    const auto config = model.config();
    if (!config.image()) throw rg::Error(rg::kInput, "rg_train_images trains image models (config.modality 'image')");
    int steps = std::stoi(a.get("steps"));
    const int batch = std::stoi(a.get("batch", "32")), every = std::stoi(a.get("eval-every", "500"));
    const double lr = std::stod(a.get("lr", "0"));
    const double max_seconds = std::stod(a.get("max-seconds", "1e18"));
    const std::string out = a.get("out");

    PatchDrawer drawer;
    drawer.pictures = rgtool::read_pictures(a.get("train"), 3, std::stoi(a.get("train-side")));
    if (a.has("rain")) drawer.rain = rgtool::read_pictures(a.get("rain"), 1, std::stoi(a.get("rain-side")));
    std::istringstream sigmas(a.get("sigma", "25,25"));
    char comma;
    sigmas >> drawer.sigma_lo >> comma >> drawer.sigma_hi;
    drawer.rng.seed(std::stoull(a.get("seed", "1")));
    const int64_t test_side = std::stoi(a.get("test-side"));
    const auto test_clean = rgtool::read_pictures(a.get("test-clean"), 3, test_side).to(torch::kFloat) / 255;
    const auto test_degraded = rgtool::read_pictures(a.get("test-degraded"), 3, test_side).to(torch::kFloat) / 255;
    if (test_clean.size(0) != test_degraded.size(0)) throw rg::Error(rg::kInput, "test sets differ in size");
    double input_psnr = 0;
    for (int64_t i = 0; i < test_clean.size(0); ++i) input_psnr += psnr(test_degraded[i], test_clean[i]);
    input_psnr /= test_clean.size(0);
    std::printf("test set: %lld pictures, input PSNR %.2f dB\n", static_cast<long long>(test_clean.size(0)),
                input_psnr);

    std::ofstream log(out + "/log.csv");
    log << "step,seconds,loss,diffusion,mse,sigma_post,sigma_prior,psnr_input,psnr_full,psnr_fast\n";
    const auto evaluate = [&](int ddim_steps) {
      rg::ImageRestoreOptions o;
      o.steps = ddim_steps;
      o.max_patches = device.is_cuda() ? 1024 : 64;
      double mean = 0;
      for (int64_t i = 0; i < test_clean.size(0); ++i)
        mean += psnr(rg::restore_image(model, test_degraded[i], o), test_clean[i]) / test_clean.size(0);
      return mean;
    };
    torch::Tensor clean, degraded;
    const auto t0 = std::chrono::steady_clock::now();
    rg::StepStats st;
    for (int step = 1; step <= steps; ++step) {
      drawer.draw(batch, config.patch_size, clean, degraded);
      st = rg::train_step(model, clean, degraded, lr);
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_seconds) steps = step;
      if (step % every == 0 || step == steps) {
        const double full = evaluate(config.ddim_steps), fast = evaluate(config.ddim_fast_steps);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        log << step << ',' << secs << ',' << st.loss << ',' << st.dm << ',' << st.mse << ',' << st.sigma_post << ','
            << st.sigma_prior << ',' << input_psnr << ',' << full << ',' << fast << std::endl;
        std::printf("%s step %d  %.0f s  loss %.4f  PSNR %.2f (%d) %.2f (%d), input %.2f\n",
                    rg::prior_name(config.prior), step, secs, st.loss, full, config.ddim_steps, fast,
                    config.ddim_fast_steps, input_psnr);
        std::fflush(stdout);
        rg::save_checkpoint(model, out + "/model.safetensors");  // atomic: a crash keeps the last one
        rg::save_checkpoint(model, out + "/weights.safetensors", rg::CheckpointContents::Weights);
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rg_train_images: %s\n", e.what());
    return 1;
  }
}
