#include "spectrogram.h"

namespace rg {

namespace F = torch::nn::functional;

torch::Tensor log_spectrogram(const torch::Tensor& y, int n_fft, int hop) {
  const int64_t frames = y.size(1) / hop;
  // Scale each utterance to peak 1 (CDiffuSE's conditioner); silence stays zero.
  const auto peak = y.abs().amax(1, true).clamp_min(1e-8);
  auto x = (y / peak).unsqueeze(1);
  // Centred frames: reflect where the signal is long enough, else zeros (reflect needs pad < T).
  const int pad = n_fft / 2;
  x = y.size(1) > pad ? F::pad(x, F::PadFuncOptions({pad, pad}).mode(torch::kReflect))
                      : F::pad(x, F::PadFuncOptions({pad, pad}));
  const auto window = torch::hamming_window(n_fft, torch::TensorOptions().dtype(y.dtype()).device(y.device()));
  const auto spec = torch::stft(x.squeeze(1), n_fft, hop, n_fft, window, /*normalized=*/false,
                                /*onesided=*/true, /*return_complex=*/true);
  return torch::log1p(spec.abs()).narrow(2, 0, frames).contiguous();
}

torch::Tensor priorgrad_log_variance(const torch::Tensor& log_spec, int hop, double floor) {
  const auto magnitude = torch::expm1(log_spec);
  const auto energy = magnitude.pow(2).mean(1).sqrt();  // [B, F]
  const auto normalised = energy / energy.amax(1, true).clamp_min(1e-8);
  const auto sigma = normalised.clamp_min(floor);
  return (2.0 * sigma.log()).repeat_interleave(hop, 1);
}

}  // namespace rg
