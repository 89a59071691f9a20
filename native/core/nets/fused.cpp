#include "nets/fused.h"

#include <ATen/Parallel.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "error.h"

// One copy of the row kernel per vector width, picked at load time, so that prebuilt binaries run
// on any x86-64 and use AVX-512 where it exists.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define RG_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RG_VECTOR_CLONES
#endif

namespace rg {

namespace {

// exp(x) to about 2 ulp (Cephes' expf polynomial), written so that the compiler vectorises it:
// libm's expf is a call per element.
inline float vector_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln 2)
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // NaN passes the clamps and would make the cast undefined: its exponent is taken as 0, and the
  // polynomial carries the NaN through.
  const int32_t bits = (static_cast<int32_t>(n == n ? n : 0.0f) + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float gate_value(float u, float v) {
  const float sigmoid = 1.0f / (1.0f + vector_exp(-u));
  const float tanh = 1.0f - 2.0f / (vector_exp(2.0f * v) + 1.0f);
  return sigmoid * tanh;
}

// Conditioner terms at sample rate.
RG_VECTOR_CLONES void gate_row(const float* __restrict a, const float* __restrict b, const float* __restrict ca,
                               const float* __restrict cb, float* __restrict out, int64_t n) {
  for (int64_t t = 0; t < n; ++t) out[t] = gate_value(a[t] + ca[t], b[t] + cb[t]);
}

// One conditioner value held over a run of samples (the "repeat" upsampler's frames).
RG_VECTOR_CLONES void gate_run(const float* __restrict a, const float* __restrict b, float ca, float cb,
                               float* __restrict out, int64_t n) {
  for (int64_t t = 0; t < n; ++t) out[t] = gate_value(a[t] + ca, b[t] + cb);
}

// A float32 row as it is; a bfloat16 row widened into `buffer`.
const float* float_row(const torch::Tensor& row, std::vector<float>& buffer) {
  if (row.scalar_type() == torch::kFloat32) return row.data_ptr<float>();
  const auto* in = row.data_ptr<at::BFloat16>();
  buffer.resize(row.size(0));
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<float>(in[i]);
  return buffer.data();
}

RG_VECTOR_CLONES void residual_row(float* __restrict x, float* __restrict skip, const float* __restrict ra,
                                   const float* __restrict rb, float bias_a, float bias_b, bool first,
                                   float* __restrict next, float step, int64_t n) {
  for (int64_t t = 0; t < n; ++t) {
    const float v = (x[t] + ra[t] + bias_a) * 0.70710678118654752f;
    x[t] = v;
    skip[t] = (first ? 0.0f : skip[t]) + rb[t] + bias_b;
    if (next) next[t] = v + step;
  }
}

}  // namespace

bool can_fuse(const torch::Tensor& z) {
  return z.device().is_cpu() && !torch::GradMode::is_enabled();
}

torch::Tensor fused_gate(const torch::Tensor& z_in, const torch::Tensor& cond, int64_t repeat) {
  const auto z = z_in.contiguous();
  const int64_t B = z.size(0), C = z.size(1) / 2, T = z.size(2), frames = cond.size(2);
  const auto float_or_bf16 = [](const torch::Tensor& t) {
    return t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kBFloat16;
  };
  if (!float_or_bf16(z) || !float_or_bf16(cond) || cond.size(0) != B || cond.size(1) != 2 * C || frames * repeat != T ||
      cond.stride(2) != 1)
    throw Error(kNative, "fused_gate: shapes, types or layout do not match");
  auto out = torch::empty({B, C, T}, z.options().dtype(torch::kFloat32));
  float* op = out.data_ptr<float>();
  at::parallel_for(0, B * C, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> za, zb, ca, cb;  // bfloat16 rows widened
    for (int64_t row = begin; row < end; ++row) {
      const int64_t b = row / C, ch = row % C;
      const float* a = float_row(z[b][ch], za);
      const float* g = float_row(z[b][C + ch], zb);
      const float* c_a = float_row(cond[b][ch], ca);
      const float* c_b = float_row(cond[b][C + ch], cb);
      float* o = op + row * T;
      if (repeat == 1) {
        gate_row(a, g, c_a, c_b, o, T);
      } else {
        for (int64_t f = 0; f < frames; ++f)
          gate_run(a + f * repeat, g + f * repeat, c_a[f], c_b[f], o + f * repeat, repeat);
      }
    }
  });
  return out;
}

torch::Tensor fused_residual(torch::Tensor& x, torch::Tensor& skip, const torch::Tensor& r, const torch::Tensor& bias,
                             const torch::Tensor& step) {
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2);
  const bool first = !skip.defined();
  if (first) skip = torch::empty_like(x);
  if (x.scalar_type() != torch::kFloat32 || !x.is_contiguous() || !skip.is_contiguous() || skip.sizes() != x.sizes() ||
      r.size(0) != B || r.size(1) != 2 * C || r.size(2) != T || r.stride(2) != 1 ||
      (r.scalar_type() != torch::kFloat32 && r.scalar_type() != torch::kBFloat16))
    throw Error(kNative, "fused_residual: shapes, types or layout do not match");
  const auto b = bias.defined() ? bias.to(torch::kFloat32).contiguous() : torch::zeros({2 * C});
  const auto s = step.defined() ? step.to(torch::kFloat32).expand({B, C}).contiguous() : torch::Tensor();
  auto next = step.defined() ? torch::empty_like(x) : torch::Tensor();
  float *xp = x.data_ptr<float>(), *sp = skip.data_ptr<float>(),
        *np = next.defined() ? next.data_ptr<float>() : nullptr;
  const float* bp = b.data_ptr<float>();
  const float* stp = s.defined() ? s.data_ptr<float>() : nullptr;
  at::parallel_for(0, B * C, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> ra, rb;
    for (int64_t row = begin; row < end; ++row) {
      const int64_t i = row / C, ch = row % C;
      residual_row(xp + row * T, sp + row * T, float_row(r[i][ch], ra), float_row(r[i][C + ch], rb), bp[ch], bp[C + ch],
                   first, np ? np + row * T : nullptr, stp ? stp[row] : 0.0f, T);
    }
  });
  return next;
}

}  // namespace rg
