// Reading a call's arguments: the payload arrays, and one options object per call, each field
// checked by type with a TypeError or RangeError that names it (the TypeScript side maps those to
// E_INPUT).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace rgaddon {

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name);

// The options object at argument i (an empty one when the argument is absent or undefined).
class Options {
 public:
  Options(const Napi::CallbackInfo& info, size_t i);
  std::string string(const char* key) const;
  double number(const char* key) const;
  std::optional<double> optional_number(const char* key) const;
  bool flag(const char* key) const;  // absent: false
  std::vector<double> numbers(const char* key) const;

 private:
  Napi::Value get(const char* key) const;
  Napi::Env env_;
  Napi::Object object_;
};

// Copies a Float32Array into a [batch, n / batch] tensor: the JS buffer may change after the call.
torch::Tensor batch_arg(const Napi::CallbackInfo& info, size_t i, int64_t batch, const char* name);

// Copies a Float32Array of `count` planar images [count, channels, height, width] (channel after
// channel, the layout of imageToFloat) into a tensor of that shape.
torch::Tensor images_arg(const Napi::CallbackInfo& info, size_t i, int64_t count, int64_t channels, int64_t height,
                         int64_t width, const char* name);

}  // namespace rgaddon
