// NativeModel: the JS handle of one rg::Model. Every method that touches the model queues a job
// on the model's own executor and returns a Promise settled on the JS thread.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>

#include "executor.h"
#include "model_state.h"
#include "results.h"

namespace rgaddon {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo& info);
  ~ModelWrap() override;

 private:
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value Restore(const Napi::CallbackInfo& info);
  Napi::Value TrainImageStep(const Napi::CallbackInfo& info);
  Napi::Value RestoreImage(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // Queues work(state) and returns a promise of the value its builder makes.
  Napi::Promise schedule(Napi::Env env, std::function<Builder(ModelState&)> work);

  std::shared_ptr<ModelState> state_ = std::make_shared<ModelState>();
  std::shared_ptr<Executor> executor_;
};

}  // namespace rgaddon
