import { UPLOADS } from '../../constants';

/** The tus endpoint under the API client's base URL ("/api/", or absolute), resolved against the page's address. */
export function uploadEndpoint(baseURL: string | undefined, pageUrl: string): string {
  const base = new URL(baseURL || '/api/', pageUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  // "./": without it `backupsManagerUploads:` would read as a URL scheme.
  return new URL(`./${UPLOADS}:tus`, base).href;
}
