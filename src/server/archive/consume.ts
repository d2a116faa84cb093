import type { Readable } from 'stream';

/**
 * Feeds every chunk of `readable` to `onChunk`, pausing the stream while a returned promise is pending. Unlike
 * `for await`, stopping early (a failed chunk, `cancel`) does not destroy the stream: a caller's stream stays the
 * caller's. `sourceError` maps the stream's own errors (told apart from the sink's, which come out as they are).
 */
export function consume(
  readable: Readable,
  onChunk: (chunk: Buffer) => Promise<void> | void,
  sourceError: (err: unknown) => Error,
  setCancel?: (cancel: (err: Error) => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let busy = false;
    let ended = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      readable.off('data', onData);
      readable.off('end', onEnd);
      if (err) {
        readable.pause();
        reject(err);
      } else resolve();
    };
    const onData = (chunk: Buffer | string) => {
      if (settled) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let pending: Promise<void> | void;
      try {
        pending = onChunk(buf);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (!pending) return;
      busy = true;
      readable.pause();
      pending.then(
        () => {
          busy = false;
          if (ended) finish();
          else if (!settled) readable.resume();
        },
        (err) => finish(err),
      );
    };
    const onEnd = () => {
      ended = true;
      if (!busy) finish();
    };
    // Kept after settling, so that a late error is never an uncaught exception.
    readable.on('error', (err) => finish(sourceError(err)));
    readable.on('data', onData);
    readable.once('end', onEnd);
    setCancel?.((err) => finish(err));
  });
}
