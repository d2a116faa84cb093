import { PASSWORD_HEADER } from '../../constants';

/**
 * The archive password travels only in this header, never in a body (NocoBase logs request bodies).
 * It is URI-encoded, because a header value cannot carry characters outside Latin-1
 * (a Chinese password would make the browser refuse the request); the server decodes it with decodeURIComponent.
 */
export function passwordHeaders(password?: string | null): Record<string, string> {
  return password ? { [PASSWORD_HEADER]: encodeURIComponent(password) } : {};
}
