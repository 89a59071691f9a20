// Process exit must not unload LibTorch under a model's thread that is still computing: every
// model registers here, and `stopAll()` (called on the process's 'exit' event) cancels their
// restorations and waits until each thread is idle.
#pragma once
#include <napi.h>

#include <memory>

#include "executor.h"
#include "model_state.h"

namespace rgaddon {

void register_model(const std::shared_ptr<ModelState>& state, const std::shared_ptr<Executor>& executor);

// Cancels every restoration of the model: each stops at its next step.
void cancel_restorations(ModelState& state);

// stopAll(): blocks until no model's thread is running a job.
Napi::Value StopAll(const Napi::CallbackInfo& info);

}  // namespace rgaddon
