/**
 * Parameter counts from a configuration alone, layer by layer as the native networks build them
 * (native/core/nets/): no model, weights or optimiser state is allocated. `restoregrad info`
 * prints them; test/parameters.test.ts holds them equal to the counts of real models.
 */
import type { ModelConfig } from './config';
import type { ParameterCount } from './model';

/** A convolution's weights and bias: `in`·`out`·∏`kernel` + `out`. */
const conv = (inChannels: number, outChannels: number, kernel: number, bias = true) =>
  inChannels * outChannels * kernel + (bias ? outChannels : 0);

/** A fully connected layer's weights and bias. */
const linear = (inFeatures: number, outFeatures: number) => inFeatures * outFeatures + outFeatures;

/** The speech ε-network (CDiffuSE's WaveNet, nets/wavenet.cpp). */
export function wavenetParameters(
  c: Pick<ModelConfig, 'residualLayers' | 'residualChannels' | 'embeddingHidden' | 'nFft' | 'upsampler' | 'noisyInput'>,
): number {
  const C = c.residualChannels;
  const L = c.residualLayers;
  const h = c.embeddingHidden;
  const bins = c.nFft / 2 + 1;
  return (
    conv(1, C, 1) + // input projection of x_t
    (c.noisyInput ? conv(1, C, 1, false) : 0) + // the noisy waveform's 1×1, no bias
    linear(128, h) + // step embedding MLP: the 128-wide sinusoidal table → h → h
    linear(h, h) +
    (c.upsampler === 'transposed' ? 2 * conv(1, 1, 3 * 32) : 0) + // two ConvTranspose2d(1, 1, (3, 32))
    conv(bins, L * 2 * C, 1) + // conditioner projection, all layers in one
    linear(h, L * C) + // step projection, all layers in one
    L * (conv(C, 2 * C, 3) + conv(C, 2 * C, 1)) + // per layer: dilated k3 and output 1×1
    conv(C, C, 1) + // skip projection
    conv(C, 1, 1) // final projection
  );
}

/**
 * A Prior or Posterior Net (ResNet-20 style, nets/encoder.cpp): a stem, 3 stages of `blocks`
 * basic blocks of widths w, 2w, 4w (two k3 convolutions each, a 1×1 shortcut where the width
 * changes), and a head; `dims` 1 (speech, kernels 3) or 2 (images, kernels 3×3).
 */
export function encoderParameters(dims: 1 | 2, inChannels: number, outChannels: number, width: number, blocks: number): number {
  const k3 = dims === 1 ? 3 : 9;
  let n = conv(inChannels, width, k3);
  let channels = width;
  for (let stage = 0; stage < 3; stage++) {
    const out = width << stage;
    for (let b = 0; b < blocks; b++) {
      n += conv(channels, out, k3) + conv(out, out, k3) + (channels !== out ? conv(channels, out, 1) : 0);
      channels = out;
    }
  }
  return n + conv(channels, outChannels, k3);
}

/** GroupNorm: a scale and a shift per channel. */
const groupNorm = (channels: number) => 2 * channels;

/** A UNet residual block: two norms and 3×3 convolutions, the step projection, a 1×1 shortcut where widths change. */
const resBlock = (inChannels: number, outChannels: number, embedding: number) =>
  groupNorm(inChannels) +
  conv(inChannels, outChannels, 9) +
  linear(embedding, outChannels) +
  groupNorm(outChannels) +
  conv(outChannels, outChannels, 9) +
  (inChannels !== outChannels ? conv(inChannels, outChannels, 1) : 0);

/** Single-head self-attention: a norm, the qkv 1×1 and the output 1×1. */
const attention = (channels: number) => groupNorm(channels) + conv(channels, 3 * channels, 1) + conv(channels, channels, 1);

/** The image ε-network (WeatherDiff's patch UNet, nets/unet.cpp: `unet_parameters`). */
export function unetParameters(
  c: Pick<ModelConfig, 'unetWidth' | 'unetMultipliers' | 'unetResBlocks' | 'attentionResolutions' | 'patchSize' | 'imageChannels'>,
): number {
  const width = c.unetWidth;
  const E = 4 * width;
  const levels = c.unetMultipliers.length;
  const attends = (level: number) => c.attentionResolutions.includes(c.patchSize >> level);
  let n = linear(width, E) + linear(E, E) + conv(2 * c.imageChannels, width, 9);
  // Channels of every tensor the down path leaves for the up path's skip connections.
  const skips = [width];
  let channels = width;
  for (let i = 0; i < levels; i++) {
    const out = width * c.unetMultipliers[i];
    for (let b = 0; b < c.unetResBlocks; b++) {
      n += resBlock(channels, out, E) + (attends(i) ? attention(out) : 0);
      channels = out;
      skips.push(channels);
    }
    if (i + 1 < levels) {
      n += conv(channels, channels, 9); // stride-2 downsampling
      skips.push(channels);
    }
  }
  n += 2 * resBlock(channels, channels, E) + attention(channels); // the middle
  for (let i = levels - 1; i >= 0; i--) {
    const out = width * c.unetMultipliers[i];
    for (let b = 0; b <= c.unetResBlocks; b++) {
      n += resBlock(channels + (skips.pop() as number), out, E) + (attends(i) ? attention(out) : 0);
      channels = out;
    }
    if (i > 0) n += conv(channels, channels, 9); // upsampling
  }
  return n + groupNorm(channels) + conv(channels, c.imageChannels, 9);
}

/**
 * The parameters of each network of a model with this configuration, equal to
 * `Model.parameterCount` of a model created from it.
 */
export function parameterCounts(config: ModelConfig): ParameterCount {
  const image = config.modality === 'image';
  const denoiser = image ? unetParameters(config) : wavenetParameters(config);
  // Speech encoders are 1-D with one channel in (y; the posterior takes x0 and y) and one out;
  // image encoders are 2-D with the image's channels in (twice for the posterior) and out.
  const dims = image ? 2 : 1;
  const channels = image ? config.imageChannels : 1;
  const learned = config.prior === 'learned';
  const prior = learned ? encoderParameters(dims, channels, channels, config.encoderWidth, config.encoderBlocks) : 0;
  const posterior = learned ? encoderParameters(dims, 2 * channels, channels, config.encoderWidth, config.encoderBlocks) : 0;
  return { total: denoiser + prior + posterior, denoiser, prior, posterior };
}
