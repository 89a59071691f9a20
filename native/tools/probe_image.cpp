// rg_probe_image: where an image model's sampling fails. On the first test picture it diffuses the
// clean image to several t with the model's prior noise and prints the one-step x̂0 PSNR with the
// degraded picture as condition, with zeros and with the clean picture itself: a network that
// uses its condition gains from it; one that only denoises x_t does not. Then the PSNR of whole
// restorations of a 96×96 crop with DDIM (η = 0) and η = 1 at 10, 25 and 100 steps.
//   usage: rg_probe_image CHECKPOINT CLEAN.u8 DEGRADED.u8 SIDE [threads=2]

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "checkpoint.h"
#include "error.h"
#include "image_sampler.h"
#include "pictures.h"
#include "process.h"
#include "threads.h"

namespace {

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  return 10 * std::log10(1.0 / std::max((a - b).pow(2).mean().item<double>(), 1e-12));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 5) throw rg::Error(rg::kInput, "usage: rg_probe_image CHECKPOINT CLEAN.u8 DEGRADED.u8 SIDE [threads]");
    rg::set_threads(argc > 5 ? std::stoi(argv[5]) : 2);
    torch::manual_seed(1);
    auto model = rg::load_checkpoint(argv[1], torch::kCPU);
    const int64_t side = std::stoi(argv[4]), crop = std::min<int64_t>(96, side), P = model->config().patch_size;
    const auto clean =
        (rgtool::read_pictures(argv[2], 3, side)[0].to(torch::kFloat) / 255).narrow(1, 0, crop).narrow(2, 0, crop);
    const auto degraded =
        (rgtool::read_pictures(argv[3], 3, side)[0].to(torch::kFloat) / 255).narrow(1, 0, crop).narrow(2, 0, crop);
    std::printf("degraded crop: %.2f dB\n", psnr(degraded, clean));

    c10::InferenceMode inference;
    auto& unet = model->unet();
    const auto x0 = (clean.narrow(1, 0, P).narrow(2, 0, P) * 2 - 1).unsqueeze(0);
    const auto y = (degraded.narrow(1, 0, P).narrow(2, 0, P) * 2 - 1).unsqueeze(0);
    const auto prior = model->prior_log_variance(y, torch::Tensor());
    const auto sigma = prior.defined() ? torch::exp(0.5 * prior) : torch::ones_like(y);
    std::printf("prior σ: mean %.4f\n| t | √ᾱ | x̂0 PSNR, condition y | zeros | clean |\n|---|---|---|---|---|\n",
                sigma.mean().item<double>());
    for (int t : {0, 200, 400, 600, 800, 999}) {
      const double ab = model->schedule().alpha_bar[t];
      const auto x_t = std::sqrt(ab) * x0 + std::sqrt(1 - ab) * torch::randn_like(x0) * sigma;
      std::printf("| %d | %.4f |", t, std::sqrt(ab));
      for (const auto& cond : {y, torch::zeros_like(y), x0}) {
        const auto out = unet->forward_embedded(x_t, cond, unet->embed(torch::tensor({int64_t{t}})));
        const auto x0_hat = rg::x0_from(out, x_t, torch::scalar_tensor(ab), model->config().target()).clamp(-1, 1);
        std::printf(" %.2f |", psnr((x0_hat + 1) / 2, (x0 + 1) / 2));
      }
      std::printf("\n");
    }
    std::printf("\n| η | steps | restored PSNR |\n|---|---|---|\n");
    for (double eta : {0.0, 1.0})
      for (int steps : {10, 25, 100}) {
        rg::ImageRestoreOptions o;
        o.steps = steps;
        o.eta = eta;
        o.max_patches = 64;
        std::printf("| %.0f | %d | %.2f |\n", eta, steps, psnr(rg::restore_image(*model, degraded, o), clean));
      }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rg_probe_image: %s\n", e.what());
    return 1;
  }
}
