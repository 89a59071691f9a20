// Turns every exception a job can raise into a JS Error with a stable `code`, so that no native
// exception ever reaches the process boundary.
#pragma once
#include <napi.h>

#include <functional>
#include <string>

namespace rgaddon {

struct Failure {
  std::string code, message;
};

// Runs fn, returning the failure it raised, if any.
bool capture(const std::function<void()>& fn, Failure& failure);

Napi::Error make_error(Napi::Env env, const Failure& failure);

}  // namespace rgaddon
