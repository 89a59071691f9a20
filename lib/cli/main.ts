#!/usr/bin/env node
/**
 * The `restoregrad` command: `demo`, `restore`, `info`. Each command validates its flags, reports
 * progress on stderr and exits non-zero with the error's code on failure.
 */
import { parseArgs } from 'node:util';

import { RestoreGradError } from '../errors';
import { demo } from './demo';
import { enqueueCommand } from './enqueue';
import { evaluateFolders, formatScores, scoresJson } from './evaluate';
import { info } from './info';
import { launchLocalRanks } from './launch';
import { relaunchWithTcmalloc } from './relaunch';
import { restoreFiles } from './restore';
import { trainCommand } from './train';
import { UsageError } from './usage';
import { workerCommand } from './worker';

const usage = `usage: restoregrad <command> [options]

commands:
  demo     [--out DIR]
           restore a noisy recording and a noisy photo with the shipped models, print the scores
  train    --data DIR --out MODEL.safetensors [--preset speech-small] [--prior learned] [--steps N]
           [--batch 8] [--lr X] [--seed 0] [--checkpoint-every 500] [--threads N]
           [--nproc N | --world-size W --rank R --master HOST:PORT]
           train (or resume, when MODEL exists) on DIR/clean + DIR/noisy, or DIR/speech/train mixed
           with DIR/noise/train (the layout of scripts/prepare-data.sh); image presets
           (--preset image-tiny|image-small|image-base [--degradation noise:25|rain]) train on
           DIR/clean + DIR/degraded, or on the images of DIR/images/train or DIR degraded on the fly;
           data-parallel: --nproc N starts N ranks here; --world-size/--rank/--master join one rank
           of a group that may span machines (rank 0 listens at HOST:PORT and writes MODEL; --batch
           is the global batch)
  restore  [--model MODEL] (--out DIR | -o FILE [--sigma-map MAP.png]) [--steps N] [--seed N]
           [--workers N] [--batch 8] [--eta X] [--stride N] INPUT|DIR ...
           restore WAV files (speech model) or PNG/JPEG/WebP images (image model), named or found
           directly inside a named folder, into DIR on N worker threads, or one input file into
           FILE; MODEL is a checkpoint or a shipped model: speech (the default for WAV files),
           image-denoise (the default for images) or image-derain; --eta and --stride (DDIM η, patch stride) are for images;
           --sigma-map draws the prior's σ of the input: a heat map of an image, the σ envelope
           over a WAV file's waveform
  eval     --clean DIR --restored DIR [--noisy DIR] [--json]
           per file and on average, and the gain over the input: SI-SDR, segmental SNR, STOI and
           ESTOI of WAV files, or PSNR and SSIM (RGB and Y) of PNG/JPEG/WebP images
  info     LibTorch build, presets and their sizes
  worker   --redis URL --queue NAME --model MODEL.safetensors [--concurrency N] [--workers N]
           [--threads N] [--batch 8] [--name NAME] [--lock-ms 30000] [--stalled-ms 15000]
           [--shutdown-timeout 30]
           restore the jobs of a BullMQ queue until SIGTERM/SIGINT, which lets running jobs finish
           (or puts them back in the queue after --shutdown-timeout seconds or a second signal)
  enqueue  --redis URL --queue NAME --out DIR [--steps N] [--seed N] [--eta X] [--stride N]
           [--attempts 3] INPUT|DIR ...
           queue one job per input file (outputs of the same names in DIR); prints the job ids
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(usage); // `restoregrad train --help`: the usage, without running anything
    return;
  }
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: { out: { type: 'string' } },
      });
      await demo({ out: values.out ?? 'restoregrad-demo' });
      return;
    }
    case 'train': {
      const { values } = parseArgs({
        args: rest,
        options: {
          data: { type: 'string' },
          out: { type: 'string' },
          preset: { type: 'string', default: 'speech-small' },
          prior: { type: 'string', default: 'learned' },
          steps: { type: 'string', default: '10000' },
          batch: { type: 'string', default: '8' },
          lr: { type: 'string' },
          seed: { type: 'string', default: '0' },
          'checkpoint-every': { type: 'string', default: '500' },
          degradation: { type: 'string' },
          threads: { type: 'string' },
          nproc: { type: 'string' },
          'world-size': { type: 'string' },
          rank: { type: 'string' },
          master: { type: 'string' },
        },
      });
      if (!values.data || !values.out) throw new UsageError('train needs --data and --out');
      const threads = values.threads === undefined ? undefined : Number(values.threads);
      if (values.nproc !== undefined) {
        const { nproc, threads: _, ...rest } = values;
        const n = Number(nproc);
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError('--nproc must be an integer in [1, 256]');
        if (rest['world-size'] !== undefined || rest.rank !== undefined || rest.master !== undefined)
          throw new UsageError('--nproc starts its own ranks: give it without --world-size, --rank and --master');
        const args = Object.entries(rest).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, String(v)]));
        process.exitCode = await launchLocalRanks(args, n, threads);
        return;
      }
      const grouped = [values['world-size'], values.rank, values.master].filter((v) => v !== undefined).length;
      if (grouped !== 0 && grouped !== 3) throw new UsageError('data-parallel training needs all of --world-size, --rank and --master');
      await trainCommand({
        data: values.data,
        out: values.out,
        preset: values.preset,
        prior: values.prior,
        steps: Number(values.steps),
        batchSize: Number(values.batch),
        lr: values.lr === undefined ? undefined : Number(values.lr),
        seed: Number(values.seed),
        checkpointEvery: Number(values['checkpoint-every']),
        degradation: values.degradation,
        threads,
        group: grouped
          ? { worldSize: Number(values['world-size']), rank: Number(values.rank), master: values.master as string }
          : undefined,
      });
      return;
    }
    case 'restore': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          model: { type: 'string' },
          out: { type: 'string' },
          output: { type: 'string', short: 'o' },
          steps: { type: 'string' },
          seed: { type: 'string' },
          workers: { type: 'string' },
          batch: { type: 'string' },
          eta: { type: 'string' },
          stride: { type: 'string' },
          'sigma-map': { type: 'string' },
        },
      });
      if ((values.out === undefined) === (values.output === undefined) || positionals.length === 0)
        throw new UsageError('restore needs either --out DIR or -o FILE, and at least one input');
      await restoreFiles({
        model: values.model,
        out: values.out,
        output: values.output,
        inputs: positionals,
        steps: values.steps ? Number(values.steps) : undefined,
        seed: values.seed ? Number(values.seed) : 0,
        eta: values.eta === undefined ? undefined : Number(values.eta),
        stride: values.stride === undefined ? undefined : Number(values.stride),
        workers: values.workers ? Number(values.workers) : undefined,
        batch: values.batch ? Number(values.batch) : undefined,
        sigmaMap: values['sigma-map'],
      });
      return;
    }
    case 'eval': {
      const { values } = parseArgs({
        args: rest,
        options: { clean: { type: 'string' }, restored: { type: 'string' }, noisy: { type: 'string' }, json: { type: 'boolean' } },
      });
      if (!values.clean || !values.restored) throw new UsageError('eval needs --clean and --restored');
      const results = await evaluateFolders(values.clean, values.restored, values.noisy);
      console.log(values.json ? scoresJson(results) : formatScores(results));
      return;
    }
    case 'info':
      await info();
      return;
    case 'worker':
      await workerCommand(rest);
      return;
    case 'enqueue':
      await enqueueCommand(rest);
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage);
      return;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

const relaunched = relaunchWithTcmalloc();
if (relaunched) relaunched.then((code) => process.exit(code));
else runMain();

function runMain(): void {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`restoregrad: ${(err as Error).message}\n\n${usage}`);
      process.exitCode = 2;
    } else if (err instanceof RestoreGradError) {
      process.stderr.write(`restoregrad: ${err.code}: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`restoregrad: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  });
}
