// PriorGrad's handcrafted prior for images: Σ_y = f(y), fixed, no parameters.
#pragma once
#include <torch/torch.h>

namespace rg {

// y [B, C, H, W] in [-1, 1] → log σ² [B, C, H, W] with σ the local RMS of y (around 0, over the
// channels and a 7×7 window), clamped to [floor, 1].
//
// Why this one: PriorGrad sets the prior's variance to the data's expected energy given the
// condition (frame energy for speech). Pixels live in [-1, 1] with ᾱ_T ≈ 0, so E[x0²] near a
// pixel is what x_T should match, and the degraded image's local energy estimates it. The range
// is fixed by the pixel scale, so no data-set statistics are needed (speech min–max normalises
// over the training set), and the window is local, so training on patches and sampling a whole
// image give the same Σ away from the borders. The window smooths over rain streaks and noise.
torch::Tensor local_energy_log_variance(const torch::Tensor& y, double floor);

}  // namespace rg
