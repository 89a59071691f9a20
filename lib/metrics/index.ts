/**
 * Speech quality metrics: SI-SDR, segmental SNR, STOI and ESTOI (all in pure TypeScript, no
 * native addon needed), and a hook for a PESQ implementation supplied by the user.
 */
export { getPesq, type PesqFunction, setPesq } from './pesq';
export { type SegmentalSnrOptions, segmentalSnr } from './segsnr';
export type { Samples } from './signal-pair';
export { siSdr } from './sisdr';
export { estoi, MAX_STOI_SAMPLE_RATE, STOI_TOO_SHORT, type StoiOptions, stoi } from './stoi';
