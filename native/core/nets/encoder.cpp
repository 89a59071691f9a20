#include "nets/encoder.h"

#include <cmath>

namespace rg {

namespace nn = torch::nn;

namespace {

std::shared_ptr<nn::Module> conv(int dims, int in, int out, int kernel) {
  if (dims == 1) return nn::Conv1d(nn::Conv1dOptions(in, out, kernel).padding(kernel / 2)).ptr();
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).padding(kernel / 2)).ptr();
}

torch::Tensor run_conv(const std::shared_ptr<nn::Module>& m, const torch::Tensor& x) {
  if (auto* c = m->as<nn::Conv1d>()) return c->forward(x);
  return m->as<nn::Conv2d>()->forward(x);
}

}  // namespace

torch::Tensor soft_bound(const torch::Tensor& raw, double lo, double hi) {
  return lo + (hi - lo) * torch::sigmoid(raw + std::log(-lo / hi));
}

EncoderImpl::EncoderImpl(int dims, int in_channels, int out_channels, int width, int blocks, double log_var_min,
                         double log_var_max)
    : dims(dims), lo(log_var_min), hi(log_var_max) {
  TORCH_CHECK(dims == 1 || dims == 2, "encoder dims must be 1 or 2");
  TORCH_CHECK(dims == 2 || out_channels == 1, "a 1-D encoder has one output channel");
  stem = register_module("stem", conv(dims, in_channels, width, 3));
  convs = register_module("convs", nn::ModuleList());
  shortcuts = register_module("shortcuts", nn::ModuleList());
  int in = width;
  for (int stage = 0; stage < 3; ++stage) {
    const int out = width << stage;
    for (int b = 0; b < blocks; ++b) {
      convs->push_back(conv(dims, in, out, 3));
      convs->push_back(conv(dims, out, out, 3));
      if (in != out) {
        shortcut_of.push_back(static_cast<int>(shortcuts->size()));
        shortcuts->push_back(conv(dims, in, out, 1));
      } else {
        shortcut_of.push_back(-1);
      }
      in = out;
    }
  }
  head = register_module("head", conv(dims, in, out_channels, 3));
  // A zero head starts training at σ = 1 exactly: the standard prior.
  torch::NoGradGuard no_grad;
  for (auto& p : head->parameters()) p.zero_();
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& input) {
  auto x = torch::relu(run_conv(stem, input));
  for (size_t b = 0; b < shortcut_of.size(); ++b) {
    auto y = torch::relu(run_conv(convs[2 * b], x));
    y = run_conv(convs[2 * b + 1], y);
    const auto identity = shortcut_of[b] < 0 ? x : run_conv(shortcuts[shortcut_of[b]], x);
    x = torch::relu(y + identity);
  }
  const auto raw = run_conv(head, x);
  return soft_bound(dims == 1 ? raw.squeeze(1) : raw, lo, hi);
}

}  // namespace rg
