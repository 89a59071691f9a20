// A minimal test harness: self-registering cases, checks that report file:line, no dependencies,
// so the same tests build on any machine that has LibTorch (CPU here, CUDA on a GPU host).
#pragma once
#include <cmath>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "error.h"

namespace rgtest {

struct Case {
  const char* name;
  std::function<void()> fn;
};
std::vector<Case>& registry();
void fail(const char* file, int line, const std::string& what);
struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

}  // namespace rgtest

#define RG_CAT2(a, b) a##b
#define RG_CAT(a, b) RG_CAT2(a, b)
#define TEST_CASE(name)                                                                         \
  static void RG_CAT(rg_test_fn_, __LINE__)();                                                  \
  static rgtest::Registrar RG_CAT(rg_test_reg_, __LINE__)(name, RG_CAT(rg_test_fn_, __LINE__)); \
  static void RG_CAT(rg_test_fn_, __LINE__)()

#undef CHECK
#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) rgtest::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_CLOSE(a, b, tol)                                                                             \
  do {                                                                                                     \
    const double rg_a_ = (a), rg_b_ = (b);                                                                 \
    if (!(std::fabs(rg_a_ - rg_b_) <= (tol)))                                                              \
      rgtest::fail(__FILE__, __LINE__,                                                                     \
                   std::string(#a " = ") + std::to_string(rg_a_) + ", " #b " = " + std::to_string(rg_b_)); \
  } while (0)

#define CHECK_THROWS_CODE(expr, want)                                                                          \
  do {                                                                                                         \
    std::string rg_got_ = "no exception";                                                                      \
    try {                                                                                                      \
      (void)(expr);                                                                                            \
    } catch (const rg::Error& e) {                                                                             \
      rg_got_ = e.code();                                                                                      \
    } catch (const std::exception& e) {                                                                        \
      rg_got_ = std::string("std::exception: ") + e.what();                                                    \
    }                                                                                                          \
    if (rg_got_ != (want)) rgtest::fail(__FILE__, __LINE__, #expr " threw " + rg_got_ + ", wanted " + (want)); \
  } while (0)
