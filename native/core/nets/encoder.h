// ResNet-20 style 1-D encoder (3 stages × N basic blocks, widths w/2w/4w, full resolution)
// that maps its input channels to a soft-bounded log σ² per sample: the Prior Net ψ(y) and
// the Posterior Net φ(x0, y) of RestoreGrad.
#pragma once
#include <torch/torch.h>

namespace rg {

struct EncoderImpl : torch::nn::Module {
  EncoderImpl(int in_channels, int width, int blocks, double log_var_min, double log_var_max);
  // x [B, in_channels, T] → log σ² [B, T], inside (log_var_min, log_var_max).
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv1d stem{nullptr}, head{nullptr};
  torch::nn::ModuleList convs, shortcuts;  // two convs per block; a 1×1 shortcut where widths change
  std::vector<int> shortcut_of;            // per block: index into shortcuts or −1
  double lo, hi;
};
TORCH_MODULE(Encoder);

// lo + (hi − lo)·sigmoid(raw + log(−lo/hi)): equals 0 (σ = 1) at raw = 0 and never stops the gradient.
torch::Tensor soft_bound(const torch::Tensor& raw, double lo, double hi);

}  // namespace rg
