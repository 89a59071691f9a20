#include "image_prior.h"

#include <cmath>

namespace rg {

namespace F = torch::nn::functional;

torch::Tensor local_energy_log_variance(const torch::Tensor& y, double floor) {
  constexpr int kWindow = 7, kHalf = kWindow / 2;
  const auto energy = y.pow(2).mean(1, /*keepdim=*/true);
  // Replicate padding works for images of any size, also those smaller than the window.
  const auto padded = F::pad(energy, F::PadFuncOptions({kHalf, kHalf, kHalf, kHalf}).mode(torch::kReplicate));
  const auto local = F::avg_pool2d(padded, F::AvgPool2dFuncOptions(kWindow).stride(1));
  const auto sigma = local.sqrt().clamp(floor, 1.0);
  return (2.0 * sigma.log()).expand_as(y).contiguous();
}

}  // namespace rg
