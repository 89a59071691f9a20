import { usingTcmalloc } from '../allocator';
import { type PresetName, presets } from '../config';
import { createModel } from '../model';
import { native } from '../native';

/** Prints the LibTorch build and the size of every preset. */
export async function info(): Promise<void> {
  const b = native().buildInfo();
  console.log(`LibTorch ${b.torchVersion}; CUDA ${b.cudaAvailable ? `${b.cudaDevices} device(s)` : 'not available'}`);
  console.log(`data-parallel training: ${b.dataParallel ? 'c10d Gloo' : 'not built in (install libgloo-dev and rebuild)'}`);
  console.log(
    `speech restores on the CPU: ${b.cpuBf16 ? 'bfloat16 (this CPU has AVX-512 BF16)' : 'float32 (no AVX-512 BF16 here)'} by default`,
  );
  console.log(`allocator: ${usingTcmalloc() ? 'tcmalloc' : 'the system malloc (preload libtcmalloc_minimal.so.4 for speed)'}`);
  for (const name of Object.keys(presets) as PresetName[]) {
    const m = await createModel({ preset: name, threads: 1 });
    const c = m.parameterCount;
    const k = m.config;
    const shape =
      k.modality === 'image'
        ? `UNet ${k.unetWidth} × [${k.unetMultipliers.join(', ')}], ${k.patchSize}×${k.patchSize} patches`
        : `${k.residualLayers} layers × ${k.residualChannels} ch`;
    console.log(
      `${name.padEnd(13)} ${shape}  denoiser ${c.denoiser.toLocaleString('en')}  prior ${c.prior.toLocaleString('en')}  posterior ${c.posterior.toLocaleString('en')}`,
    );
    await m.dispose();
  }
}
