// The addon's entry point: the NativeModel class and facts about the LibTorch it was built with.
#include <napi.h>
#include <torch/torch.h>

#include <string>

#include "data_parallel.h"
#include "model_wrap.h"
#include "shutdown.h"

namespace {

// AVX-512 BF16 instructions: bfloat16 GEMMs then run at about three times the float32 rate.
bool cpu_has_bf16() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("torchVersion", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                            std::to_string(TORCH_VERSION_PATCH));
  o.Set("cudaAvailable", torch::cuda::is_available());
  o.Set("cudaDevices", static_cast<double>(torch::cuda::device_count()));
  o.Set("dataParallel", rg::DataParallel::available());
  o.Set("cpuBf16", cpu_has_bf16());
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeModel", rgaddon::ModelWrap::Init(env));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  exports.Set("stopAll", Napi::Function::New(env, rgaddon::StopAll));
  return exports;
}

}  // namespace

NODE_API_MODULE(restoregrad, Init)
