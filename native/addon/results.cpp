#include "results.h"

#include <cstring>
#include <memory>

#include "json.h"

namespace rgaddon {

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

Builder restoration_builder(const torch::Tensor& restored, const torch::Tensor& sigma) {
  auto restored_builder = float32_builder(restored), sigma_builder = float32_builder(sigma);
  return [restored_builder, sigma_builder](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("restored", restored_builder(env));
    o.Set("sigma", sigma_builder(env));
    return o;
  };
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

Builder counters_builder(rg::Model& m) {
  auto& c = m.counters();
  const double cond = c.conditioner_runs, emb = c.step_embedding_runs, prior = c.prior_runs, net = c.network_runs;
  return [=](Napi::Env env) -> Napi::Value {
    auto o = Napi::Object::New(env);
    o.Set("conditionerRuns", cond);
    o.Set("stepEmbeddingRuns", emb);
    o.Set("priorRuns", prior);
    o.Set("networkRuns", net);
    return o;
  };
}

Builder undefined_builder() {
  return [](Napi::Env env) { return env.Undefined(); };
}

}  // namespace rgaddon
