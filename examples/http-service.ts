/**
 * An HTTP restoration service on plain node:http. POST a WAV to /speech or a PNG/JPEG/WebP to
 * /image and get the restored file back in the same format; GET /health reports the pools. Each
 * modality is restored by its own RestorePool. Uploads are size-limited, typed errors become
 * status codes, a client that hangs up aborts its restoration, and SIGTERM finishes the requests
 * in flight, closes the pools and exits.
 *
 *   node http-service.js --speech-model speech.safetensors [--image-model image.safetensors]
 *        [--port 8080] [--host 127.0.0.1] [--max-upload-mb 20] [--workers 2] [--max-queue 64]
 *   curl --data-binary @noisy.wav -o restored.wav 'http://127.0.0.1:8080/speech?steps=6'
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

import { decodeWav, type ErrorCode, encodeImage, encodeWav, type ImageFormat, RestoreGradError, RestorePool } from 'restoregrad';

/** Status of each error code that is not the service's fault; every other code is a 500. */
const statusOf: Partial<Record<ErrorCode, number>> = {
  E_INPUT: 400, // not a WAV, wrong sample rate, bad steps or seed
  E_IO: 400, // image bytes that do not decode
  E_QUEUE_FULL: 503, // retry later rather than queue without bound
  E_ABORTED: 499, // the client hung up (nginx's code; nobody receives it, the log shows it)
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ServiceOptions {
  speech?: RestorePool;
  image?: RestorePool;
  /** Largest accepted upload; larger ones get 413 before their body is kept. */
  maxUploadBytes: number;
  /** One line per request: method, path, status, milliseconds. */
  log?: (line: string) => void;
}

export interface Service {
  server: Server;
  /** Stops accepting, answers new requests on open connections with 503, finishes the rest, closes the pools. */
  close(): Promise<void>;
}

/** Collects the body; past `limit` bytes it rejects with 413 and discards the rest as it arrives. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length']) > limit) return Promise.reject(new HttpError(413, `uploads are limited to ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData).resume();
      reject(new HttpError(413, `uploads are limited to ${limit} bytes`));
    };
    req.on('data', onData).once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The format of an encoded image by its signature. */
function imageFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/** Query numbers as given: the library validates them and rejects bad ones with E_INPUT (400). */
function numberParam(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  return value === null ? undefined : Number(value);
}

async function restoreSpeech(pool: RestorePool, body: Buffer, url: URL, signal: AbortSignal): Promise<[string, Buffer]> {
  const { samples, sampleRate } = decodeWav(body);
  const steps = numberParam(url, 'steps');
  const restored = await pool.restore(samples, { steps, seed: numberParam(url, 'seed'), sampleRate, signal });
  return ['audio/wav', encodeWav(restored, sampleRate)];
}

async function restoreImage(pool: RestorePool, body: Buffer, url: URL, signal: AbortSignal): Promise<[string, Buffer]> {
  const format = imageFormat(body);
  if (!format) throw new HttpError(415, 'send a PNG, JPEG or WebP file');
  const restored = await pool.restore(body, { steps: numberParam(url, 'steps'), seed: numberParam(url, 'seed'), signal });
  return [`image/${format}`, await encodeImage(restored, format)];
}

export function createService(options: ServiceOptions): Service {
  const pools = { '/speech': options.speech, '/image': options.image };
  const restorers = { '/speech': restoreSpeech, '/image': restoreImage };
  let draining = false;

  async function answer(req: IncomingMessage, signal: AbortSignal): Promise<[number, string, Buffer | string]> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (draining) throw new HttpError(503, 'shutting down');
    if (url.pathname === '/health')
      return [200, 'application/json', JSON.stringify({ speech: options.speech?.stats(), image: options.image?.stats() })];
    if (url.pathname !== '/speech' && url.pathname !== '/image') throw new HttpError(404, 'POST /speech or /image');
    const pool = pools[url.pathname];
    if (!pool) throw new HttpError(404, `no model is loaded for ${url.pathname}`);
    if (req.method !== 'POST') throw new HttpError(405, 'use POST');
    const body = await readBody(req, options.maxUploadBytes);
    const [type, restored] = await restorers[url.pathname](pool, body, url, signal);
    return [200, type, restored];
  }

  const server = createServer((req, res: ServerResponse) => {
    const started = Date.now();
    const hangUp = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) hangUp.abort();
    });
    answer(req, hangUp.signal)
      .catch((err: unknown): [number, string, string] => {
        const status = err instanceof HttpError ? err.status : err instanceof RestoreGradError ? (statusOf[err.code] ?? 500) : 500;
        if (status === 500) console.error(err);
        return [status, 'text/plain; charset=utf-8', `${err instanceof Error ? err.message : String(err)}\n`];
      })
      .then(([status, type, body]) => {
        options.log?.(`${req.method} ${req.url} ${status} ${Date.now() - started}ms`);
        if (res.destroyed) return;
        if (status === 413 || status === 503) res.setHeader('connection', 'close');
        if (status === 503) res.setHeader('retry-after', '1');
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
      });
  });

  return {
    server,
    async close() {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A pool finishes the calls already made before it closes, so their responses still go out.
      await Promise.all([options.speech?.close(), options.image?.close()]);
      await closed;
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'speech-model': { type: 'string' },
      'image-model': { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'max-upload-mb': { type: 'string', default: '20' },
      workers: { type: 'string', default: '2' },
      'max-queue': { type: 'string', default: '64' },
      'max-batch': { type: 'string', default: '8' },
    },
  });
  if (!values['speech-model'] && !values['image-model']) throw new Error('give --speech-model, --image-model or both');
  const poolOptions = {
    workers: Number(values.workers),
    maxQueue: Number(values['max-queue']),
    batching: { maxBatch: Number(values['max-batch']) },
  };
  const open = (model: string | undefined) => (model ? RestorePool.open({ model, ...poolOptions }) : undefined);
  const [speech, image] = await Promise.all([open(values['speech-model']), open(values['image-model'])]);
  const service = createService({ speech, image, maxUploadBytes: Number(values['max-upload-mb']) * 2 ** 20, log: console.log });
  service.server.listen(Number(values.port), values.host, () => {
    const { address, port } = service.server.address() as AddressInfo;
    console.log(`listening on http://${address}:${port}`);
  });
  process.once('SIGTERM', () => {
    service.close().then(() => console.log('closed'));
  });
}

if (require.main === module)
  main().catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  });
