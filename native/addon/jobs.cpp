#include "jobs.h"

#include "shutdown.h"

namespace rgaddon {

TeardownGuard::TeardownGuard(Napi::Env env, std::shared_ptr<ModelState> state, std::shared_ptr<Executor> executor)
    : env_(env), state_(std::move(state)), executor_(std::move(executor)) {
  napi_add_env_cleanup_hook(env_, on_teardown, this);
}

void TeardownGuard::on_teardown(void* arg) {
  auto* self = static_cast<TeardownGuard*>(arg);
  {
    std::lock_guard<std::mutex> lock(self->shared->mutex);
    self->shared->env_gone = true;
  }
  cancel_restorations(*self->state_);
  self->executor_->wait_idle();  // a cancelled restoration stops at its next step
  delete self;                   // the job holds `shared`, not the guard
}

void TeardownGuard::release() {
  napi_remove_env_cleanup_hook(env_, on_teardown, this);
  delete this;
}

CancelFlag::CancelFlag(std::shared_ptr<ModelState> state, int64_t id) : state_(std::move(state)), id_(id) {
  std::lock_guard<std::mutex> lock(state_->cancel_mutex);
  state_->cancels[id_] = flag_;
}

CancelFlag::~CancelFlag() {
  std::lock_guard<std::mutex> lock(state_->cancel_mutex);
  const auto it = state_->cancels.find(id_);
  if (it != state_->cancels.end() && it->second == flag_) state_->cancels.erase(it);
}

}  // namespace rgaddon
