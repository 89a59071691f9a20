// WaveNet's gate, σ(a + c_a) ⊙ tanh(b + c_b), as one pass over memory for inference on the CPU.
// Done with tensor ops it is six passes (add, chunk, sigmoid, tanh, multiply) and costs as much
// time as the layer's convolutions; fused it is about a third of that.
#pragma once
#include <torch/torch.h>

namespace rg {

// Whether fused_gate() applies: a CPU tensor outside autograd (the fused pass has no backward).
bool can_fuse_gate(const torch::Tensor& z);

// z [B, 2C, T] (a: the first C channels, b: the rest); cond [B, 2C, T / repeat], contiguous in
// time, each value held for `repeat` samples; both float32 or bfloat16. Returns [B, C, T] float32.
torch::Tensor fused_gate(const torch::Tensor& z, const torch::Tensor& cond, int64_t repeat);

}  // namespace rg
