import { useMemo } from 'react';
import * as tus from 'tus-js-client';
import { UPLOADS } from '../../constants';
import type { UploadResult } from '../api/tasks';
import { useApi, type ApiClient } from '../shell';
import { uploadEndpoint } from '../utils/uploadEndpoint';

/** Every request stays under a proxy's body limit (below that, SMALL_CHUNK_SIZE). */
export const CHUNK_SIZE = 8 * 1024 * 1024;
/** The fallback when a proxy refuses 8 MB with 413: under nginx's default `client_max_body_size` of 1 MB. */
const SMALL_CHUNK_SIZE = 512 * 1024;
/** A dropped connection is retried for about two minutes before the upload reports an error (it stays resumable). */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];

export interface ResumableProgress {
  sent: number;
  total: number;
}

export interface ResumableOptions {
  onProgress?: (p: ResumableProgress) => void;
  /** Called when a previous upload of this file (closed tab, dialog closed) is resumed rather than started again. */
  onResume?: () => void;
  signal?: AbortSignal;
}

type Interceptor = { fulfilled?: (config: unknown) => unknown };

/**
 * The headers the API client sends with each request (token, authenticator, locale, role, app name...), taken from
 * its own interceptors so that they stay the same as NocoBase's, whatever version adds.
 */
async function apiHeaders(api: ApiClient): Promise<Record<string, string>> {
  let config: { headers: Record<string, unknown> & { toJSON?: () => Record<string, unknown> } } = {
    headers: { ...(api.getHeaders?.() ?? {}) },
  };
  const handlers = ((api.axios?.interceptors.request as unknown as { handlers?: (Interceptor | null)[] })?.handlers ?? []).filter(
    (h): h is Interceptor => !!h?.fulfilled,
  );
  // axios runs request interceptors last-added first.
  for (const h of [...handlers].reverse()) {
    try {
      config = ((await h.fulfilled?.({ url: '', method: 'post', ...config })) as typeof config) ?? config;
    } catch {
      // One that needs a real axios request: the token and locale come from getHeaders anyway.
    }
  }
  const headers = config.headers?.toJSON ? config.headers.toJSON() : config.headers;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers || {})) {
    if ((typeof v === 'string' || typeof v === 'number') && k.toLowerCase() !== 'content-type') out[k] = String(v);
  }
  return out;
}

const endpointOf = (api: ApiClient) => uploadEndpoint(api.axios?.defaults.baseURL, window.location.href);

/** A tus error in words: our server's translated refusal, or the client's message. */
function errorOf(err: Error): Error {
  const body = (err as tus.DetailedError).originalResponse?.getBody?.();
  return new Error(body && body.length < 1000 ? body.trim() : err.message);
}

/**
 * The resumable upload (tus, in chunks of 8 MB): a dropped connection is retried from the server's offset, and a
 * file chosen again after a closed tab resumes where it stopped (the upload's URL is kept in localStorage, keyed by
 * the file's name, size and date). Once the last chunk is in, the server's summary of the archive.
 */
export function useResumableUpload() {
  const api = useApi();
  return useMemo(
    () => ({
      async upload(file: File, { onProgress, onResume, signal }: ResumableOptions = {}): Promise<UploadResult> {
        const send = (chunkSize: number, uploadUrl?: string) =>
          new Promise<string>((resolve, reject) => {
            const upload = new tus.Upload(file, {
              endpoint: endpointOf(api),
              uploadUrl,
              chunkSize,
              retryDelays: RETRY_DELAYS,
              metadata: { filename: file.name },
              storeFingerprintForResuming: true,
              removeFingerprintOnSuccess: true,
              onBeforeRequest: async (req) => {
                for (const [k, v] of Object.entries(await apiHeaders(api))) req.setHeader(k, v);
              },
              // NocoBase renews a token close to its end in this header: keep the session as axios would.
              onAfterResponse: (_req, res) => {
                const token = res.getHeader('X-New-Token');
                if (token) api.auth?.setToken(token);
              },
              onProgress: (sent, total) => onProgress?.({ sent, total }),
              onError: (err) => {
                // A proxy that refuses even 8 MB (nginx's default limit is 1 MB): the same upload goes on in small chunks.
                const status = (err as tus.DetailedError).originalResponse?.getStatus?.();
                if (status === 413 && chunkSize > SMALL_CHUNK_SIZE && upload.url) resolve(send(SMALL_CHUNK_SIZE, upload.url));
                else reject(errorOf(err));
              },
              onSuccess: () => resolve(upload.url as string),
            });
            // Leaving the dialog stops sending but keeps the upload on the server, to resume later.
            signal?.addEventListener('abort', () => {
              upload.abort().catch(() => undefined);
              reject(new DOMException('Aborted', 'AbortError'));
            });
            if (uploadUrl) return upload.start();
            upload
              .findPreviousUploads()
              .then((previous) => {
                if (signal?.aborted) return;
                if (previous.length) {
                  upload.resumeFromPreviousUpload(previous[0]);
                  onResume?.();
                }
                upload.start();
              })
              .catch(reject);
          });
        const url = await send(CHUNK_SIZE);
        const uploadId = /tus-([a-f0-9]{32})$/.exec(url)?.[1];
        const res = await api.request<{ data: UploadResult }>({
          url: `${UPLOADS}:summary`,
          method: 'post',
          data: { uploadId },
          timeout: 0,
          skipNotify: true,
        });
        return res.data.data;
      },
    }),
    [api],
  );
}
