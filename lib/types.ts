/**
 * Types shared by the speech model (model.ts), the image model (image/model.ts) and the native
 * boundary (native.ts), declared apart so that none of those imports another just for a type.
 */

/** Statistics of one training step. */
export interface StepStats {
  /** Steps this model has taken in all, this one included. */
  globalStep: number;
  /** The total joint loss η·L_LR + L_DM + λ·L_PM (L_DM alone for the baselines). */
  loss: number;
  /** L_DM: the Σ-weighted diffusion loss. */
  diffusion: number;
  /** Unweighted mean squared error of the clean estimate x̂0 that the prediction implies, against x0. */
  mse: number;
  /** L_LR (learned prior only). */
  likelihood: number;
  /** L_PM (learned prior only). */
  priorMatching: number;
  /** Mean σ of the posterior (the noise scale training used). */
  sigmaPosterior: number;
  /** Mean σ of the prior (the noise scale restoration will use). */
  sigmaPrior: number;
  /** Gradient norm before clipping. */
  gradNorm: number;
}
