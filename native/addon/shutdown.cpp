#include "shutdown.h"

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

namespace rgaddon {

namespace {

struct Registry {
  std::mutex mutex;
  std::vector<std::pair<std::weak_ptr<ModelState>, std::weak_ptr<Executor>>> models;
};

Registry& registry() {
  static auto* r = new Registry();  // never destroyed: exit handlers may run after static destructors
  return *r;
}

}  // namespace

void register_model(const std::shared_ptr<ModelState>& state, const std::shared_ptr<Executor>& executor) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.models.erase(std::remove_if(r.models.begin(), r.models.end(), [](const auto& m) { return m.second.expired(); }),
                 r.models.end());
  r.models.emplace_back(state, executor);
}

void cancel_restorations(ModelState& state) {
  std::lock_guard<std::mutex> lock(state.cancel_mutex);
  for (auto& [id, flag] : state.cancels) flag->store(true);
}

Napi::Value StopAll(const Napi::CallbackInfo& info) {
  std::vector<std::pair<std::shared_ptr<ModelState>, std::shared_ptr<Executor>>> live;
  {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    for (const auto& [state, executor] : r.models) {
      auto s = state.lock();
      auto e = executor.lock();
      if (s && e) live.emplace_back(std::move(s), std::move(e));
    }
  }
  for (const auto& [state, executor] : live) cancel_restorations(*state);  // all stop at once
  for (const auto& [state, executor] : live) executor->wait_idle();
  return info.Env().Undefined();
}

}  // namespace rgaddon
