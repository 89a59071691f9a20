#include "errors.h"

#include <c10/util/Exception.h>

#include "error.h"

namespace rgaddon {

bool capture(const std::function<void()>& fn, Failure& failure) {
  try {
    fn();
    return true;
  } catch (const rg::Error& e) {
    failure = {e.code(), e.what()};
  } catch (const c10::Error& e) {
    failure = {rg::kNative, std::string("LibTorch: ") + e.what_without_backtrace()};
  } catch (const std::bad_alloc&) {
    failure = {rg::kNative, "out of memory"};
  } catch (const std::exception& e) {
    failure = {rg::kNative, e.what()};
  } catch (...) {
    failure = {rg::kNative, "unknown native exception"};
  }
  return false;
}

Napi::Error make_error(Napi::Env env, const Failure& failure) {
  auto error = Napi::Error::New(env, failure.message);
  error.Value().Set("code", Napi::String::New(env, failure.code));
  return error;
}

}  // namespace rgaddon
