// The conditioner's features: log1p |STFT| of the degraded waveform, and PriorGrad's energy prior.
#pragma once
#include <torch/torch.h>

namespace rg {

// y: [B, T] with T a multiple of hop. Returns [B, n_fft/2+1, T/hop]: log1p |STFT(y / max|y|)|,
// Hamming window, centred frames (reflect padding), the trailing frame dropped so that
// frames × hop = T.
torch::Tensor log_spectrogram(const torch::Tensor& y, int n_fft, int hop);

// PriorGrad's handcrafted prior: per-frame energy of the conditioner, normalised by each
// utterance's loudest frame, floored at `floor` as a standard deviation, repeated to sample rate.
// Returns log σ² of shape [B, frames × hop].
torch::Tensor priorgrad_log_variance(const torch::Tensor& log_spec, int hop, double floor);

}  // namespace rg
