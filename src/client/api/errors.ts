interface ServerError {
  message?: string;
  code?: string;
}

interface HttpErrorLike {
  message?: string;
  response?: { status?: number; data?: unknown };
}

/** `{ errors: [{ message }] }` (actions), or `{ error: { message } }` (NocoBase's own, e.g. while in maintenance). */
function messagesOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { errors, error } = body as { errors?: ServerError[]; error?: ServerError };
  const list = Array.isArray(errors) ? errors : error && typeof error === 'object' ? [error] : [];
  const text = list
    .map((e) => e?.message)
    .filter(Boolean)
    .join('\n');
  return text || undefined;
}

async function bodyOf(data: unknown): Promise<unknown> {
  // A request made with responseType 'blob' gets its error body as a Blob too.
  if (typeof Blob !== 'undefined' && data instanceof Blob) {
    try {
      return JSON.parse(await data.text());
    } catch {
      return undefined;
    }
  }
  if (typeof data === 'string') {
    try {
      return JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return data;
}

/** The error code of `{ errors: [{ code }] }` (e.g. FOREIGN_ARCHIVE_NEEDS_ACK), if any. */
export function errorCodeOf(error: unknown): string | undefined {
  const data = (error as HttpErrorLike | undefined)?.response?.data as { errors?: ServerError[] } | undefined;
  return Array.isArray(data?.errors) ? data?.errors[0]?.code : undefined;
}

/** The HTTP status of a failed request, or undefined when the server was not reached. */
export function statusOf(error: unknown): number | undefined {
  return (error as HttpErrorLike | undefined)?.response?.status;
}

/** The server's own (already translated) message of `{ errors: [{ message }] }`, else the transport's. */
export async function readErrorMessage(error: unknown): Promise<string> {
  const e = error as HttpErrorLike | undefined;
  const fromServer = messagesOf(await bodyOf(e?.response?.data));
  if (fromServer) return fromServer;
  if (e?.message) return e.message;
  return String(error);
}
