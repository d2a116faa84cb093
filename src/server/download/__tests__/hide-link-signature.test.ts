import type { Application } from '@nocobase/server';
import { hideLinkSignatures, takeLinkSignature } from '../hide-link-signature';

// NocoBase's request log writes ctx.url: the signature must be gone from it before that middleware runs.
describe('hideLinkSignatures', () => {
  const used: { fn: (ctx: any, next: () => Promise<void>) => Promise<void>; opts: any }[] = [];
  hideLinkSignatures({ use: (fn: any, opts: any) => used.push({ fn, opts }) } as unknown as Application);
  const run = async (path: string, querystring: string) => {
    const ctx: any = { path, querystring, req: {} };
    let urlSeenNext = '';
    await used[0].fn(ctx, async () => {
      urlSeenNext = ctx.querystring;
    });
    return { ctx, urlSeenNext };
  };

  it('runs before the request logger and takes sig out of a signed link, keeping it for the action', async () => {
    expect(used[0].opts).toMatchObject({ before: expect.arrayContaining(['logger']) });
    const { ctx, urlSeenNext } = await run('/api/backupsManagerTasks:signedDownload', 'filterByTk=3&expires=99&nonce=n&sig=SECRET-sig_1');
    expect(urlSeenNext).toBe('filterByTk=3&expires=99&nonce=n');
    expect(takeLinkSignature(ctx)).toBe('SECRET-sig_1');
  });

  it('leaves every other request alone', async () => {
    const { ctx, urlSeenNext } = await run('/api/backupsManagerTasks:download', 'filterByTk=3&sig=x');
    expect(urlSeenNext).toBe('filterByTk=3&sig=x');
    expect(takeLinkSignature(ctx)).toBeNull();
  });
});
