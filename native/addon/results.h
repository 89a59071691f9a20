// The values promises settle with: built on a model's thread from its results, turned into JS
// values on the JS thread.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>

#include "model.h"
#include "trainer.h"

namespace rgaddon {

// Built on the executor thread, called on the JS thread to make the promise's value.
using Builder = std::function<Napi::Value(Napi::Env)>;

// A training step's statistics, for speech and images alike.
Builder step_builder(const rg::StepStats& st);
// A Float32Array of the tensor's values.
Builder float32_builder(const torch::Tensor& values);
// {restored, sigma}: a restoration asked for its prior's σ as well.
Builder restoration_builder(const torch::Tensor& restored, const torch::Tensor& sigma);
// {config, paramCounts, step, device} of a model just created or loaded.
Builder info_builder(rg::Model& m);
// The counters of the model's step-invariant and per-step work.
Builder counters_builder(rg::Model& m);
Builder undefined_builder();

}  // namespace rgaddon
