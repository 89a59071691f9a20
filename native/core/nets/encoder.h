// ResNet-20 style encoder (3 stages × N basic blocks, widths w/2w/4w, full resolution), 1-D for
// speech or 2-D (3×3) for images, that maps its input channels to a soft-bounded log σ² per
// element: the Prior Net ψ(y) and the Posterior Net φ(x0, y) of RestoreGrad.
#pragma once
#include <torch/torch.h>

#include <memory>

namespace rg {

struct EncoderImpl : torch::nn::Module {
  // dims 1: x [B, in_channels, T] → log σ² [B, T] (out_channels must be 1).
  // dims 2: x [B, in_channels, H, W] → log σ² [B, out_channels, H, W].
  EncoderImpl(int dims, int in_channels, int out_channels, int width, int blocks, double log_var_min,
              double log_var_max);
  torch::Tensor forward(const torch::Tensor& x);

  int dims;
  std::shared_ptr<torch::nn::Module> stem, head;  // Conv1d or Conv2d, as dims says
  torch::nn::ModuleList convs, shortcuts;         // two convs per block; a 1×1 shortcut where widths change
  std::vector<int> shortcut_of;                   // per block: index into shortcuts or −1
  double lo, hi;
};
TORCH_MODULE(Encoder);

// lo + (hi − lo)·sigmoid(raw + log(−lo/hi)): equals 0 (σ = 1) at raw = 0 and never stops the gradient.
torch::Tensor soft_bound(const torch::Tensor& raw, double lo, double hi);

}  // namespace rg
