#include "model_wrap.h"

#include <torch/torch.h>

#include "args.h"
#include "checkpoint.h"
#include "error.h"
#include "errors.h"
#include "image_sampler.h"
#include "jobs.h"
#include "json.h"
#include "sampler.h"
#include "shutdown.h"
#include "threads.h"
#include "trainer.h"

namespace rgaddon {

namespace {

rg::Model& require_model(ModelState& s) {
  if (!s.model) throw rg::Error(rg::kDisposed, "the model has been disposed or was never created");
  return *s.model;
}

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

// create(configJson, {device, seed})
Napi::Value ModelWrap::Create(const Napi::CallbackInfo& info) {
  const auto config_json = string_arg(info, 0, "config");
  const Options o(info, 1);
  const auto device = o.string("device");
  const auto seed = static_cast<uint64_t>(o.number("seed"));
  return schedule(info.Env(), [=](ModelState& s) {
    const auto config = rg::config_from_json(rg::json::parse(config_json));
    s.model = std::make_unique<rg::Model>(config, parse_device(device), seed);
    return info_builder(*s.model);
  });
}

// load(path, {device})
Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  const auto path = string_arg(info, 0, "path");
  const auto device = Options(info, 1).string("device");
  return schedule(info.Env(), [=](ModelState& s) {
    s.model = rg::load_checkpoint(path, parse_device(device));
    return info_builder(*s.model);
  });
}

// save(path, {weightsOnly?})
Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  const auto path = string_arg(info, 0, "path");
  const auto contents =
      Options(info, 1).flag("weightsOnly") ? rg::CheckpointContents::Weights : rg::CheckpointContents::Training;
  return schedule(info.Env(), [=](ModelState& s) -> Builder {
    rg::save_checkpoint(require_model(s), path, contents);
    return undefined_builder();
  });
}

// trainStep(clean, degraded, {batch, lr})
Napi::Value ModelWrap::TrainStep(const Napi::CallbackInfo& info) {
  const Options o(info, 2);
  const auto batch = static_cast<int64_t>(o.number("batch"));
  const auto clean = batch_arg(info, 0, batch, "clean");
  const auto degraded = batch_arg(info, 1, batch, "degraded");
  const double lr = o.number("lr");
  return schedule(info.Env(), [=](ModelState& s) -> Builder {
    return step_builder(rg::train_step(require_model(s), clean, degraded, lr, s.group.get()));
  });
}

// joinGroup({masterAddress, masterPort, rank, worldSize, timeoutMs}): joins a data-parallel group
// (blocking this model's thread until every rank has joined), takes rank 0's model state, and
// resolves to the step count that state has.
Napi::Value ModelWrap::JoinGroup(const Napi::CallbackInfo& info) {
  const Options options(info, 0);
  rg::GroupOptions o;
  o.master_addr = options.string("masterAddress");
  o.master_port = static_cast<int>(options.number("masterPort"));
  o.rank = static_cast<int>(options.number("rank"));
  o.world_size = static_cast<int>(options.number("worldSize"));
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(options.number("timeoutMs")));
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

// trainImageStep(clean, degraded, {batch, channels, size, lr}): batch square patches of size × size
// pixels, planar [batch, channels, size, size], values in [0, 1].
Napi::Value ModelWrap::TrainImageStep(const Napi::CallbackInfo& info) {
  const Options o(info, 2);
  const auto batch = static_cast<int64_t>(o.number("batch"));
  const auto channels = static_cast<int64_t>(o.number("channels"));
  const auto size = static_cast<int64_t>(o.number("size"));
  const auto clean = images_arg(info, 0, batch, channels, size, size, "clean");
  const auto degraded = images_arg(info, 1, batch, channels, size, size, "degraded");
  const double lr = o.number("lr");
  return schedule(info.Env(), [=](ModelState& s) -> Builder {
    return step_builder(rg::train_step(require_model(s), clean, degraded, lr, s.group.get()));
  });
}

// restore(input, {batch, betas, seeds, useEma, jobId, bf16?, returnSigma?}): the restored
// Float32Array, or {restored, sigma} with returnSigma.
Napi::Value ModelWrap::Restore(const Napi::CallbackInfo& info) {
  const Options o(info, 1);
  const auto batch = static_cast<int64_t>(o.number("batch"));
  const auto input = batch_arg(info, 0, batch, "input");
  rg::RestoreOptions options;
  options.betas = o.numbers("betas");
  options.seeds.clear();  // the defaults hold one
  for (double seed : o.numbers("seeds")) options.seeds.push_back(static_cast<uint64_t>(seed));
  options.use_ema = o.flag("useEma");
  options.bf16 = o.flag("bf16");
  const bool return_sigma = o.flag("returnSigma");
  auto cancel = std::make_shared<CancelFlag>(state_, static_cast<int64_t>(o.number("jobId")));
  return schedule(info.Env(), [=](ModelState& s) mutable -> Builder {
    const auto flag = std::move(cancel);  // dropped when the work ends, before the promise settles
    options.cancel = flag->get();
    if (!return_sigma) return float32_builder(rg::restore(require_model(s), input, options));
    torch::Tensor sigma;
    const auto restored = rg::restore(require_model(s), input, options, &sigma);
    return restoration_builder(restored, sigma);
  });
}

// restoreImage(data, {channels, height, width, seed, useEma, jobId, steps?, eta?, stride?, maxPatches?,
// returnSigma?}): one image, planar [channels, height, width], values in [0, 1]; restored the same way, or
// as {restored, sigma} with returnSigma (σ planar too, in the sampler's [−1, 1] scale). Without steps, eta
// or stride, the config's ddimSteps, ddimEta and patchStride.
Napi::Value ModelWrap::RestoreImage(const Napi::CallbackInfo& info) {
  const Options o(info, 1);
  const auto channels = static_cast<int64_t>(o.number("channels"));
  const auto height = static_cast<int64_t>(o.number("height"));
  const auto width = static_cast<int64_t>(o.number("width"));
  const auto image = images_arg(info, 0, 1, channels, height, width, "data")[0];
  rg::ImageRestoreOptions options;
  if (const auto steps = o.optional_number("steps")) options.steps = static_cast<int>(*steps);
  if (const auto eta = o.optional_number("eta")) options.eta = *eta;
  if (const auto stride = o.optional_number("stride")) options.stride = static_cast<int>(*stride);
  options.seed = static_cast<uint64_t>(o.number("seed"));
  options.use_ema = o.flag("useEma");
  if (const auto patches = o.optional_number("maxPatches")) options.max_patches = static_cast<int>(*patches);
  const bool return_sigma = o.flag("returnSigma");
  auto cancel = std::make_shared<CancelFlag>(state_, static_cast<int64_t>(o.number("jobId")));
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
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "jobId must be a number");
  const auto job_id = static_cast<int64_t>(info[0].As<Napi::Number>().DoubleValue());
  std::lock_guard<std::mutex> lock(state_->cancel_mutex);
  const auto it = state_->cancels.find(job_id);
  if (it != state_->cancels.end()) it->second->store(true);
  return Napi::Boolean::New(info.Env(), it != state_->cancels.end());
}

Napi::Value ModelWrap::Counters(const Napi::CallbackInfo& info) {
  return schedule(info.Env(), [](ModelState& s) -> Builder { return counters_builder(require_model(s)); });
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  return schedule(info.Env(), [](ModelState& s) -> Builder {
    s.group.reset();
    s.model.reset();
    return undefined_builder();
  });
}

}  // namespace rgaddon
