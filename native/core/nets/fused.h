// A WaveNet layer's elementwise work as single passes over memory, for inference on the CPU.
// Done with tensor ops the gate alone is six passes (add, chunk, sigmoid, tanh, multiply) and
// costs as much time as the layer's convolutions; fused it is about a third of that.
#pragma once
#include <torch/torch.h>

namespace rg {

// Whether the fused passes apply: a CPU tensor outside autograd (the fused pass has no backward).
bool can_fuse(const torch::Tensor& z);

// z [B, 2C, T] (a: the first C channels, b: the rest); cond [B, 2C, T / repeat], contiguous in
// time, each value held for `repeat` samples; both float32 or bfloat16. Returns [B, C, T] float32.
torch::Tensor fused_gate(const torch::Tensor& z, const torch::Tensor& cond, int64_t repeat);

// The residual update after the output projection r [B, 2C, T] (float32 or bfloat16; `bias` [2C]
// float32 or undefined), in place: x ← (x + r_a + bias_a)·√½ and skip ← skip + r_b + bias_b
// (skip undefined: it is created as r_b + bias_b). x and skip are float32 [B, C, T], contiguous.
// With `step` [B or 1, C] defined, returns x + step, the next layer's input.
torch::Tensor fused_residual(torch::Tensor& x, torch::Tensor& skip, const torch::Tensor& r, const torch::Tensor& bias,
                             const torch::Tensor& step);

}  // namespace rg
