#include "args.h"

#include "model.h"

namespace rgaddon {

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Options::Options(const Napi::CallbackInfo& info, size_t i) : env_(info.Env()) {
  if (info[i].IsUndefined()) {
    object_ = Napi::Object::New(env_);
  } else if (info[i].IsObject() && !info[i].IsArray()) {
    object_ = info[i].As<Napi::Object>();
  } else {
    throw Napi::TypeError::New(env_, "options must be an object");
  }
}

Napi::Value Options::get(const char* key) const {
  return object_.Get(key);
}

std::string Options::string(const char* key) const {
  const auto v = get(key);
  if (!v.IsString()) throw Napi::TypeError::New(env_, std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double Options::number(const char* key) const {
  const auto v = get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(env_, std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::optional<double> Options::optional_number(const char* key) const {
  if (get(key).IsUndefined()) return std::nullopt;
  return number(key);
}

bool Options::flag(const char* key) const {
  return get(key).ToBoolean().Value();
}

std::vector<double> Options::numbers(const char* key) const {
  const auto v = get(key);
  if (!v.IsArray()) throw Napi::TypeError::New(env_, std::string(key) + " must be an array");
  const auto a = v.As<Napi::Array>();
  std::vector<double> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const auto x = a.Get(i);
    if (!x.IsNumber()) throw Napi::TypeError::New(env_, std::string(key) + " must be numbers");
    out.push_back(x.As<Napi::Number>().DoubleValue());
  }
  return out;
}

namespace {

Napi::Float32Array float32_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  return info[i].As<Napi::Float32Array>();
}

}  // namespace

torch::Tensor batch_arg(const Napi::CallbackInfo& info, size_t i, int64_t batch, const char* name) {
  auto a = float32_arg(info, i, name);
  const int64_t n = static_cast<int64_t>(a.ElementLength());
  if (batch < 1 || n % batch != 0)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " length is not a multiple of the batch size");
  return torch::from_blob(a.Data(), {batch, n / batch}, torch::kFloat32).clone();
}

torch::Tensor images_arg(const Napi::CallbackInfo& info, size_t i, int64_t count, int64_t channels, int64_t height,
                         int64_t width, const char* name) {
  auto a = float32_arg(info, i, name);
  const int64_t side_limit = rg::Model::kMaxImageSide;
  if (count < 1 || count > 4096) throw Napi::RangeError::New(info.Env(), "batch must be in [1, 4096]");
  if (channels < 1 || channels > 4) throw Napi::RangeError::New(info.Env(), "channels must be in [1, 4]");
  if (height < 1 || width < 1 || height > side_limit || width > side_limit)
    throw Napi::RangeError::New(info.Env(), "image sides must be in [1, " + std::to_string(side_limit) + "] pixels");
  if (static_cast<int64_t>(a.ElementLength()) != count * height * width * channels)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " length is not batch × channels × height × width");
  return torch::from_blob(a.Data(), {count, channels, height, width}, torch::kFloat32).clone();
}

}  // namespace rgaddon
