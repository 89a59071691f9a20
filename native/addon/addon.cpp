// The addon's entry point: the NativeModel class and facts about the LibTorch it was built with.
#include <napi.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>

#include "block_cache.h"
#include "config_schema.h"
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
  auto cache = Napi::Object::New(info.Env());
  const auto* installed = rg::installed_block_cache();
  cache.Set("enabled", installed != nullptr);
  if (installed) {
    const auto s = installed->stats();
    cache.Set("hits", static_cast<double>(s.hits));
    cache.Set("misses", static_cast<double>(s.misses));
    cache.Set("cachedBytes", static_cast<double>(s.cached_bytes));
    cache.Set("maxCachedBytes", static_cast<double>(s.max_cached_bytes));
    cache.Set("minBlockBytes", static_cast<double>(s.min_block_bytes));
  }
  o.Set("blockCache", cache);
  return o;
}

// LibTorch's large buffers through the block cache, so that a plain `node` process runs as fast as
// one with tcmalloc preloaded; RESTOREGRAD_ALLOCATOR=system leaves LibTorch's own allocator.
void install_allocator() {
  const char* choice = std::getenv("RESTOREGRAD_ALLOCATOR");
  if (choice && std::string(choice) == "system") return;
  rg::install_block_cache();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  install_allocator();
  exports.Set("NativeModel", rgaddon::ModelWrap::Init(env));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  exports.Set("stopAll", Napi::Function::New(env, rgaddon::StopAll));
  exports.Set("configSchema", Napi::Function::New(env, rgaddon::ConfigSchema));
  exports.Set("validateConfig", Napi::Function::New(env, rgaddon::ValidateConfig));
  return exports;
}

}  // namespace

NODE_API_MODULE(restoregrad, Init)
