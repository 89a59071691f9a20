#include "nets/encoder.h"

#include <cmath>

namespace rg {

namespace nn = torch::nn;

namespace {
nn::Conv1d conv3(int in, int out) {
  return nn::Conv1d(nn::Conv1dOptions(in, out, 3).padding(1));
}
}  // namespace

torch::Tensor soft_bound(const torch::Tensor& raw, double lo, double hi) {
  return lo + (hi - lo) * torch::sigmoid(raw + std::log(-lo / hi));
}

EncoderImpl::EncoderImpl(int in_channels, int width, int blocks, double log_var_min, double log_var_max)
    : lo(log_var_min), hi(log_var_max) {
  stem = register_module("stem", conv3(in_channels, width));
  convs = register_module("convs", nn::ModuleList());
  shortcuts = register_module("shortcuts", nn::ModuleList());
  int in = width;
  for (int stage = 0; stage < 3; ++stage) {
    const int out = width << stage;
    for (int b = 0; b < blocks; ++b) {
      convs->push_back(conv3(in, out));
      convs->push_back(conv3(out, out));
      if (in != out) {
        shortcut_of.push_back(static_cast<int>(shortcuts->size()));
        shortcuts->push_back(nn::Conv1d(nn::Conv1dOptions(in, out, 1)));
      } else {
        shortcut_of.push_back(-1);
      }
      in = out;
    }
  }
  head = register_module("head", conv3(in, 1));
  // A zero head starts training at σ = 1 exactly: the standard prior.
  torch::NoGradGuard no_grad;
  head->weight.zero_();
  head->bias.zero_();
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& input) {
  auto x = torch::relu(stem->forward(input));
  for (size_t b = 0; b < shortcut_of.size(); ++b) {
    auto y = torch::relu(convs[2 * b]->as<nn::Conv1d>()->forward(x));
    y = convs[2 * b + 1]->as<nn::Conv1d>()->forward(y);
    const auto identity = shortcut_of[b] < 0 ? x : shortcuts[shortcut_of[b]]->as<nn::Conv1d>()->forward(x);
    x = torch::relu(y + identity);
  }
  return soft_bound(head->forward(x).squeeze(1), lo, hi);
}

}  // namespace rg
