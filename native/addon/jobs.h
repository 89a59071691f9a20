// The life of one job: its cancel flag, and its guard against the environment's teardown.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "executor.h"
#include "model_state.h"

namespace rgaddon {

// When the environment (a worker thread, or the process at exit) is torn down with a job still
// running, the job must not touch the thread-safe function again (teardown frees it), and torch
// must not be running when the process's libraries unload. The environment's cleanup hook marks
// the environment gone, cancels the model's restorations and waits for its thread to be idle.
class TeardownGuard {
 public:
  struct Shared {
    std::mutex mutex;
    bool env_gone = false;
  };
  // Allocated with new; frees itself, at teardown or on release().
  TeardownGuard(Napi::Env env, std::shared_ptr<ModelState> state, std::shared_ptr<Executor> executor);
  // On the JS thread, once the job's result arrived: the hook is no longer needed.
  void release();
  // Held by the job, which outlives the guard at teardown.
  const std::shared_ptr<Shared> shared = std::make_shared<Shared>();

 private:
  static void on_teardown(void* arg);
  napi_env env_;
  std::shared_ptr<ModelState> state_;
  std::shared_ptr<Executor> executor_;
};

// A job's cancel flag, found by cancel(jobId) from the call until it is destroyed.
class CancelFlag {
 public:
  CancelFlag(std::shared_ptr<ModelState> state, int64_t id);
  ~CancelFlag();
  const std::atomic<bool>* get() const { return flag_.get(); }

 private:
  std::shared_ptr<ModelState> state_;
  int64_t id_;
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace rgaddon
