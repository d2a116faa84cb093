/**
 * A link relative to the API's base URL (e.g. '/api/', a sub-application's, or another origin's) made absolute
 * against the page's address.
 */
export function apiUrl(relative: string, baseURL: string | undefined, pageHref: string): string {
  const base = new URL(baseURL || '/api/', pageHref);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  // Appended, not resolved: 'backupsManagerTasks:...' would read as a URL scheme.
  return `${base.origin}${base.pathname}${relative.replace(/^\/+/, '')}`;
}

/**
 * Lets the browser fetch a file by itself: its download manager streams to disk (and can resume), where a Blob
 * would hold the whole archive in the page's memory. The server answers with Content-Disposition: attachment,
 * so the page stays where it is.
 */
export function openDownload(url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
}
