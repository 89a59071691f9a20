#include "model_wrap.h"

#include <torch/torch.h>

#include <cstring>

#include "checkpoint.h"
#include "error.h"
#include "errors.h"
#include "image_sampler.h"
#include "json.h"
#include "sampler.h"
#include "shutdown.h"
#include "threads.h"
#include "trainer.h"

namespace rgaddon {

namespace {

// When the environment (a worker thread, or the process at exit) is torn down with a job still
// running, the job must not touch the thread-safe function again (teardown frees it), and torch
// must not be running when the process's libraries unload. The environment's cleanup hook marks
// the environment gone, cancels the model's restorations and waits for its thread to be idle.
struct TeardownGuard {
  struct Shared {
    std::mutex mutex;
    bool env_gone = false;
  };
  TeardownGuard(Napi::Env env, std::shared_ptr<ModelState> model_state, std::shared_ptr<Executor> executor)
      : env(env), state(std::move(model_state)), executor(std::move(executor)), shared(std::make_shared<Shared>()) {
    napi_add_env_cleanup_hook(env, on_teardown, this);
  }
  static void on_teardown(void* arg) {
    auto* self = static_cast<TeardownGuard*>(arg);
    {
      std::lock_guard<std::mutex> lock(self->shared->mutex);
      self->shared->env_gone = true;
    }
    cancel_restorations(*self->state);
    self->executor->wait_idle();  // a cancelled restoration stops at its next step
    delete self;                  // the job holds `shared`, not the guard
  }
  // On the JS thread, once the job's result arrived: the hook is no longer needed.
  void release() {
    napi_remove_env_cleanup_hook(env, on_teardown, this);
    delete this;
  }
  napi_env env;
  std::shared_ptr<ModelState> state;
  std::shared_ptr<Executor> executor;
  std::shared_ptr<Shared> shared;
};

rg::Model& require_model(ModelState& s) {
  if (!s.model) throw rg::Error(rg::kDisposed, "the model has been disposed or was never created");
  return *s.model;
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

double number_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// Copies a Float32Array into a [batch, n / batch] tensor: the JS buffer may change after the call.
torch::Tensor batch_arg(const Napi::CallbackInfo& info, size_t i, int64_t batch, const char* name) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  auto a = info[i].As<Napi::Float32Array>();
  const int64_t n = static_cast<int64_t>(a.ElementLength());
  if (batch < 1 || n % batch != 0)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " length is not a multiple of the batch size");
  return torch::from_blob(a.Data(), {batch, n / batch}, torch::kFloat32).clone();
}

// Copies a Float32Array of `count` planar images [count, channels, height, width] (channel after
// channel, the layout of imageToFloat) into a tensor of that shape.
torch::Tensor images_arg(const Napi::CallbackInfo& info, size_t i, int64_t count, int64_t channels, int64_t height,
                         int64_t width, const char* name) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  auto a = info[i].As<Napi::Float32Array>();
  const int64_t side_limit = rg::Model::kMaxImageSide;
  if (count < 1 || count > 4096) throw Napi::RangeError::New(info.Env(), "batch must be in [1, 4096]");
  if (channels < 1 || channels > 4) throw Napi::RangeError::New(info.Env(), "channels must be in [1, 4]");
  if (height < 1 || width < 1 || height > side_limit || width > side_limit)
    throw Napi::RangeError::New(info.Env(), "image sides must be in [1, " + std::to_string(side_limit) + "] pixels");
  if (static_cast<int64_t>(a.ElementLength()) != count * height * width * channels)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " length is not batch × channels × height × width");
  return torch::from_blob(a.Data(), {count, channels, height, width}, torch::kFloat32).clone();
}

// The promise value of a training step, for speech and images alike.
Builder step_builder(const rg::StepStats& st) {
  return [st](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("globalStep", static_cast<double>(st.step));
    o.Set("loss", st.loss);
    o.Set("diffusion", st.dm);
    o.Set("mse", st.mse);
    o.Set("likelihood", st.lr_term);
    o.Set("priorMatching", st.pm);
    o.Set("sigmaPosterior", st.sigma_post);
    o.Set("sigmaPrior", st.sigma_prior);
    o.Set("gradNorm", st.grad_norm);
    return o;
  };
}

Builder float32_builder(const torch::Tensor& values) {
  auto out = std::make_shared<torch::Tensor>(values.contiguous());
  return [out](Napi::Env env) -> Napi::Value {
    auto a = Napi::Float32Array::New(env, out->numel());
    std::memcpy(a.Data(), out->data_ptr<float>(), out->numel() * sizeof(float));
    return a;
  };
}

// {restored, sigma}: the promise value of a restoration asked for its prior's σ as well.
Builder restoration_builder(const torch::Tensor& restored, const torch::Tensor& sigma) {
  auto restored_builder = float32_builder(restored), sigma_builder = float32_builder(sigma);
  return [restored_builder, sigma_builder](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("restored", restored_builder(env));
    o.Set("sigma", sigma_builder(env));
    return o;
  };
}

// A job's cancel flag, found by cancel(jobId) from the call until it is destroyed.
class CancelFlag {
 public:
  CancelFlag(std::shared_ptr<ModelState> state, int64_t id) : state_(std::move(state)), id_(id) {
    std::lock_guard<std::mutex> lock(state_->cancel_mutex);
    state_->cancels[id_] = flag_;
  }
  ~CancelFlag() {
    std::lock_guard<std::mutex> lock(state_->cancel_mutex);
    const auto it = state_->cancels.find(id_);
    if (it != state_->cancels.end() && it->second == flag_) state_->cancels.erase(it);
  }
  const std::atomic<bool>* get() const { return flag_.get(); }

 private:
  std::shared_ptr<ModelState> state_;
  int64_t id_;
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
};

torch::Device parse_device(const std::string& name) {
  try {
    torch::Device d(name);
    if (d.is_cuda() && !torch::cuda::is_available())
      throw rg::Error(rg::kInput, "device '" + name + "' requested but this LibTorch has no usable CUDA device");
    return d;
  } catch (const c10::Error&) {
    throw rg::Error(rg::kInput, "unknown device '" + name + "' (use 'cpu' or 'cuda[:n]')");
  }
}

Builder info_builder(rg::Model& m) {
  const auto counts = m.param_counts();
  const auto config = rg::json::dump(rg::config_to_json(m.config()));
  const int64_t step = m.train_state().step;
  const auto device = m.device().str();
  return [=](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("config", config);
    auto c = Napi::Object::New(env);
    c.Set("total", static_cast<double>(counts.total));
    c.Set("denoiser", static_cast<double>(counts.denoiser));
    c.Set("prior", static_cast<double>(counts.prior));
    c.Set("posterior", static_cast<double>(counts.posterior));
    o.Set("paramCounts", c);
    o.Set("step", static_cast<double>(step));
    o.Set("device", device);
    return o;
  };
}

}  // namespace

Napi::Function ModelWrap::Init(Napi::Env env) {
  return DefineClass(
      env, "NativeModel",
      {InstanceMethod("create", &ModelWrap::Create), InstanceMethod("load", &ModelWrap::Load),
       InstanceMethod("save", &ModelWrap::Save), InstanceMethod("joinGroup", &ModelWrap::JoinGroup),
       InstanceMethod("trainStep", &ModelWrap::TrainStep), InstanceMethod("restore", &ModelWrap::Restore),
       InstanceMethod("trainImageStep", &ModelWrap::TrainImageStep),
       InstanceMethod("restoreImage", &ModelWrap::RestoreImage), InstanceMethod("cancel", &ModelWrap::Cancel),
       InstanceMethod("counters", &ModelWrap::Counters), InstanceMethod("dispose", &ModelWrap::Dispose)});
}

// new NativeModel(threads)
ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  const double threads = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1;
  if (!(threads >= 1 && threads <= 1024)) throw Napi::RangeError::New(info.Env(), "threads must be in [1, 1024]");
  state_->threads = static_cast<int>(threads);
  executor_ = Executor::start();
  register_model(state_, executor_);
}

ModelWrap::~ModelWrap() {
  // Free the model on its own thread after the queued jobs; never block the JS thread here.
  executor_->post([state = state_] {
    state->group.reset();
    state->model.reset();
  });
  executor_->stop();
}

Napi::Promise ModelWrap::schedule(Napi::Env env, std::function<Builder(ModelState&)> work) {
  struct Job {
    Napi::Promise::Deferred deferred;
    Builder builder;
    Failure failure;
  };
  auto job = std::make_shared<Job>(Job{Napi::Promise::Deferred::New(env), nullptr, {}});
  // Holds the event loop open while the job is pending and brings its result back to JS.
  auto tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                            "restoregrad", 0, 1);
  // Registered after the thread-safe function, so it runs before that is freed at teardown.
  auto* teardown = new TeardownGuard(env, state_, executor_);
  executor_->post([job, tsfn, teardown, shared = teardown->shared, state = state_, work = std::move(work)]() mutable {
    capture(
        [&] {
          rg::set_threads(state->threads);  // per job: the setting is per thread or process-wide
          job->builder = work(*state);
        },
        job->failure);
    std::lock_guard<std::mutex> lock(shared->mutex);
    if (shared->env_gone) return;  // a worker thread ended: nobody is waiting any more
    tsfn.BlockingCall([job, teardown, shared](Napi::Env env, Napi::Function) {
      // The job thread holds the lock until it has released the function: wait for that, so that
      // the environment cannot end (this thread's next step) while the job still uses it.
      { std::lock_guard<std::mutex> barrier(shared->mutex); }
      teardown->release();
      Failure failure = job->failure;
      if (job->builder) {
        try {
          job->deferred.Resolve(job->builder(env));
          return;
        } catch (const Napi::Error& e) {
          failure = {rg::kNative, e.Message()};
        }
      }
      job->deferred.Reject(make_error(env, failure).Value());
    });
    tsfn.Release();
  });
  return job->deferred.Promise();
}

// create(configJson, device, seed)
Napi::Value ModelWrap::Create(const Napi::CallbackInfo& info) {
  const auto config_json = string_arg(info, 0, "config");
  const auto device = string_arg(info, 1, "device");
  const auto seed = static_cast<uint64_t>(number_arg(info, 2, "seed"));
  return schedule(info.Env(), [=](ModelState& s) {
    const auto config = rg::config_from_json(rg::json::parse(config_json));
    s.model = std::make_unique<rg::Model>(config, parse_device(device), seed);
    return info_builder(*s.model);
  });
}

// load(path, device)
Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  const auto path = string_arg(info, 0, "path");
  const auto device = string_arg(info, 1, "device");
  return schedule(info.Env(), [=](ModelState& s) {
    s.model = rg::load_checkpoint(path, parse_device(device));
    return info_builder(*s.model);
  });
}

// save(path, weightsOnly)
Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  const auto path = string_arg(info, 0, "path");
  const auto contents = info.Length() > 1 && info[1].ToBoolean().Value() ? rg::CheckpointContents::Weights
                                                                         : rg::CheckpointContents::Training;
  return schedule(info.Env(), [=](ModelState& s) -> Builder {
    rg::save_checkpoint(require_model(s), path, contents);
    return [](Napi::Env env) { return env.Undefined(); };
  });
}

// trainStep(clean, degraded, batch, lr)
Napi::Value ModelWrap::TrainStep(const Napi::CallbackInfo& info) {
  const auto batch = static_cast<int64_t>(number_arg(info, 2, "batch"));
  const auto clean = batch_arg(info, 0, batch, "clean");
  const auto degraded = batch_arg(info, 1, batch, "degraded");
  const double lr = number_arg(info, 3, "lr");
  return schedule(info.Env(), [=](ModelState& s) -> Builder {
    return step_builder(rg::train_step(require_model(s), clean, degraded, lr, s.group.get()));
  });
}

// joinGroup(masterAddress, masterPort, rank, worldSize, timeoutMs): joins a data-parallel group
// (blocking this model's thread until every rank has joined), takes rank 0's model state, and
// resolves to the step count that state has.
Napi::Value ModelWrap::JoinGroup(const Napi::CallbackInfo& info) {
  rg::GroupOptions o;
  o.master_addr = string_arg(info, 0, "masterAddress");
  o.master_port = static_cast<int>(number_arg(info, 1, "masterPort"));
  o.rank = static_cast<int>(number_arg(info, 2, "rank"));
  o.world_size = static_cast<int>(number_arg(info, 3, "worldSize"));
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(number_arg(info, 4, "timeoutMs")));
  return schedule(info.Env(), [o](ModelState& s) -> Builder {
    auto& model = require_model(s);
    if (s.group) throw rg::Error(rg::kInput, "this model has already joined a group");
    auto group = std::make_unique<rg::DataParallel>(o);
    group->synchronise(model);
    s.group = std::move(group);
    const double step = static_cast<double>(model.train_state().step);
    return [step](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, step); };
  });
}

// trainImageStep(clean, degraded, batch, channels, size, lr): batch square patches of size × size
// pixels, planar [batch, channels, size, size], values in [0, 1].
Napi::Value ModelWrap::TrainImageStep(const Napi::CallbackInfo& info) {
  const auto batch = static_cast<int64_t>(number_arg(info, 2, "batch"));
  const auto channels = static_cast<int64_t>(number_arg(info, 3, "channels"));
  const auto size = static_cast<int64_t>(number_arg(info, 4, "size"));
  const auto clean = images_arg(info, 0, batch, channels, size, size, "clean");
  const auto degraded = images_arg(info, 1, batch, channels, size, size, "degraded");
  const double lr = number_arg(info, 5, "lr");
  return schedule(info.Env(), [=](ModelState& s) -> Builder {
    return step_builder(rg::train_step(require_model(s), clean, degraded, lr, s.group.get()));
  });
}

// restore(input, batch, betas[], seeds[], useEma, jobId[, bf16[, returnSigma]]): the restored
// Float32Array, or {restored, sigma} with returnSigma.
Napi::Value ModelWrap::Restore(const Napi::CallbackInfo& info) {
  const auto batch = static_cast<int64_t>(number_arg(info, 1, "batch"));
  const auto input = batch_arg(info, 0, batch, "input");
  if (!info[2].IsArray()) throw Napi::TypeError::New(info.Env(), "betas must be an array");
  rg::RestoreOptions options;
  const auto betas = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < betas.Length(); ++i) {
    const auto b = betas.Get(i);
    if (!b.IsNumber()) throw Napi::TypeError::New(info.Env(), "betas must be numbers");
    options.betas.push_back(b.As<Napi::Number>().DoubleValue());
  }
  if (!info[3].IsArray()) throw Napi::TypeError::New(info.Env(), "seeds must be an array");
  const auto seeds = info[3].As<Napi::Array>();
  options.seeds.clear();
  for (uint32_t i = 0; i < seeds.Length(); ++i) {
    const auto v = seeds.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), "seeds must be numbers");
    options.seeds.push_back(static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue()));
  }
  options.use_ema = info[4].ToBoolean().Value();
  options.bf16 = info.Length() > 6 && info[6].ToBoolean().Value();
  const bool return_sigma = info.Length() > 7 && info[7].ToBoolean().Value();
  auto cancel = std::make_shared<CancelFlag>(state_, static_cast<int64_t>(number_arg(info, 5, "jobId")));
  return schedule(info.Env(), [=](ModelState& s) mutable -> Builder {
    const auto flag = std::move(cancel);  // dropped when the work ends, before the promise settles
    options.cancel = flag->get();
    if (!return_sigma) return float32_builder(rg::restore(require_model(s), input, options));
    torch::Tensor sigma;
    const auto restored = rg::restore(require_model(s), input, options, &sigma);
    return restoration_builder(restored, sigma);
  });
}

// restoreImage(data, channels, height, width, steps, eta, stride, seed, useEma, jobId[, maxPatches[, returnSigma]]):
// one image, planar [channels, height, width], values in [0, 1]; restored the same way, or as {restored, sigma}
// with returnSigma (σ planar too, in the sampler's [−1, 1] scale). steps 0, eta < 0 and stride 0 take the
// config's ddimSteps, ddimEta and patchStride.
Napi::Value ModelWrap::RestoreImage(const Napi::CallbackInfo& info) {
  const auto channels = static_cast<int64_t>(number_arg(info, 1, "channels"));
  const auto height = static_cast<int64_t>(number_arg(info, 2, "height"));
  const auto width = static_cast<int64_t>(number_arg(info, 3, "width"));
  const auto image = images_arg(info, 0, 1, channels, height, width, "data")[0];
  rg::ImageRestoreOptions options;
  options.steps = static_cast<int>(number_arg(info, 4, "steps"));
  options.eta = number_arg(info, 5, "eta");
  options.stride = static_cast<int>(number_arg(info, 6, "stride"));
  options.seed = static_cast<uint64_t>(number_arg(info, 7, "seed"));
  options.use_ema = info[8].ToBoolean().Value();
  if (info.Length() > 10 && !info[10].IsUndefined())
    options.max_patches = static_cast<int>(number_arg(info, 10, "maxPatches"));
  const bool return_sigma = info.Length() > 11 && info[11].ToBoolean().Value();
  auto cancel = std::make_shared<CancelFlag>(state_, static_cast<int64_t>(number_arg(info, 9, "jobId")));
  return schedule(info.Env(), [=](ModelState& s) mutable -> Builder {
    const auto flag = std::move(cancel);  // dropped when the work ends, before the promise settles
    options.cancel = flag->get();
    if (!return_sigma) return float32_builder(rg::restore_image(require_model(s), image, options));
    torch::Tensor sigma;
    const auto restored = rg::restore_image(require_model(s), image, options, &sigma);
    return restoration_builder(restored, sigma);
  });
}

// cancel(jobId): the job stops before its next diffusion step.
Napi::Value ModelWrap::Cancel(const Napi::CallbackInfo& info) {
  const auto job_id = static_cast<int64_t>(number_arg(info, 0, "jobId"));
  std::lock_guard<std::mutex> lock(state_->cancel_mutex);
  const auto it = state_->cancels.find(job_id);
  if (it != state_->cancels.end()) it->second->store(true);
  return Napi::Boolean::New(info.Env(), it != state_->cancels.end());
}

Napi::Value ModelWrap::Counters(const Napi::CallbackInfo& info) {
  return schedule(info.Env(), [](ModelState& s) -> Builder {
    auto& c = require_model(s).counters();
    const double cond = c.conditioner_runs, emb = c.step_embedding_runs, prior = c.prior_runs, net = c.network_runs;
    return [=](Napi::Env env) -> Napi::Value {
      auto o = Napi::Object::New(env);
      o.Set("conditionerRuns", cond);
      o.Set("stepEmbeddingRuns", emb);
      o.Set("priorRuns", prior);
      o.Set("networkRuns", net);
      return o;
    };
  });
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  return schedule(info.Env(), [](ModelState& s) -> Builder {
    s.group.reset();
    s.model.reset();
    return [](Napi::Env env) { return env.Undefined(); };
  });
}

}  // namespace rgaddon
