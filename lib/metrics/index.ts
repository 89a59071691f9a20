/**
 * Speech quality metrics: SI-SDR, segmental SNR, STOI and ESTOI; image metrics: PSNR and SSIM
 * (all in pure TypeScript, no native addon needed); a hook for a PESQ implementation supplied
 * by the user; and the speech metrics of a restoration as one record, with means over many.
 */

export type { ImageMetricOptions } from './image-pair';
export { getPesq, type PesqFunction, setPesq } from './pesq';
export { psnr } from './psnr';
export { type ImageScores, meanScores, type Scores, type SpeechScores, score } from './scores';
export { type SegmentalSnrOptions, segmentalSnr } from './segsnr';
export type { Samples } from './signal-pair';
export { siSdr } from './sisdr';
export { ssim } from './ssim';
export { estoi, MAX_STOI_SAMPLE_RATE, STOI_TOO_SHORT, type StoiOptions, stoi } from './stoi';
