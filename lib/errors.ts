/**
 * Every error restoregrad raises is a {@link RestoreGradError} with a stable `code`, so that
 * services can branch on `err.code` without parsing messages.
 */
export type ErrorCode =
  | 'E_INPUT'
  | 'E_CONFIG'
  | 'E_CHECKPOINT'
  | 'E_ABORTED'
  | 'E_DISPOSED'
  | 'E_QUEUE_FULL'
  | 'E_IO'
  | 'E_LOAD'
  | 'E_NATIVE';

/** Base class of all restoregrad errors. */
export class RestoreGradError extends Error {
  constructor(
    /** What went wrong, stable across versions: branch on it rather than on the message. */
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A signal, batch or option that cannot be used (wrong type, shape, NaN/Inf, too short...). */
export class InputError extends RestoreGradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INPUT', message, options);
  }
}

/** An invalid model configuration or preset. */
export class ConfigError extends RestoreGradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CONFIG', message, options);
  }
}

/** A checkpoint that is missing, corrupt, or does not match its own config. */
export class CheckpointError extends RestoreGradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CHECKPOINT', message, options);
  }
}

/** Work stopped by an `AbortSignal`; the model stays usable. */
export class AbortError extends RestoreGradError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('E_ABORTED', message, options);
  }
}

/** A call on a model after `dispose()`. */
export class DisposedError extends RestoreGradError {
  constructor(message = 'the model has been disposed', options?: { cause?: unknown }) {
    super('E_DISPOSED', message, options);
  }
}

/** A queue is at its limit: retry later instead of letting memory grow without bound. */
export class QueueFullError extends RestoreGradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_QUEUE_FULL', message, options);
  }
}

/** A file system failure. */
export class IoError extends RestoreGradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_IO', message, options);
  }
}

/** The native addon could not be loaded; the message says what is missing and how to fix it. */
export class LoadError extends RestoreGradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_LOAD', message, options);
  }
}

/** Any other failure inside LibTorch. */
export class NativeError extends RestoreGradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NATIVE', message, options);
  }
}

const byCode: Record<string, new (message: string, options?: { cause?: unknown }) => RestoreGradError> = {
  E_INPUT: InputError,
  E_CONFIG: ConfigError,
  E_CHECKPOINT: CheckpointError,
  E_ABORTED: AbortError,
  E_DISPOSED: DisposedError,
  E_QUEUE_FULL: QueueFullError,
  E_IO: IoError,
  E_LOAD: LoadError,
  E_NATIVE: NativeError,
};

/** Wraps an error thrown by the addon (an Error with a `code`) in its typed class. */
export function fromNative(err: unknown): RestoreGradError {
  if (err instanceof RestoreGradError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const Ctor = typeof e?.code === 'string' ? byCode[e.code] : undefined;
  // Type errors from the addon's argument checks are input errors.
  if (!Ctor)
    return err instanceof TypeError || err instanceof RangeError
      ? new InputError(message, { cause: err })
      : new NativeError(message, { cause: err });
  return new Ctor(message, { cause: err });
}
