import { usingTcmalloc } from '../allocator';
import { type PresetName, presets } from '../config';
import { native } from '../native';
import { parameterCounts } from '../parameters';

/** Prints the LibTorch build and the size of every preset (counted from the config: no model is built). */
export async function info(): Promise<void> {
  const b = native().buildInfo();
  console.log(`LibTorch ${b.torchVersion}; CUDA ${b.cudaAvailable ? `${b.cudaDevices} device(s)` : 'not available'}`);
  console.log(`data-parallel training: ${b.dataParallel ? 'c10d Gloo' : 'not built in (install libgloo-dev and rebuild)'}`);
  console.log(
    `speech restores on the CPU: ${b.cpuBf16 ? 'bfloat16 (this CPU has AVX-512 BF16)' : 'float32 (no AVX-512 BF16 here)'} by default`,
  );
  const cache = b.blockCache;
  const blocks = cache.enabled
    ? `LibTorch's blocks of ${((cache.minBlockBytes ?? 0) / 2 ** 20).toFixed(0)} MiB and more cached for reuse (at most ${((cache.maxCachedBytes ?? 0) / 2 ** 30).toFixed(1)} GiB)`
    : 'no block cache (RESTOREGRAD_ALLOCATOR=system)';
  console.log(`allocator: ${usingTcmalloc() ? 'tcmalloc' : 'the system malloc'}; ${blocks}`);
  for (const name of Object.keys(presets) as PresetName[]) {
    const k = presets[name];
    const c = parameterCounts(k);
    const shape =
      k.modality === 'image'
        ? `UNet ${k.unetWidth} × [${k.unetMultipliers.join(', ')}], ${k.patchSize}×${k.patchSize} patches`
        : `${k.residualLayers} layers × ${k.residualChannels} ch`;
    console.log(
      `${name.padEnd(13)} ${shape}  denoiser ${c.denoiser.toLocaleString('en')}  prior ${c.prior.toLocaleString('en')}  posterior ${c.posterior.toLocaleString('en')}`,
    );
  }
}
