import { TASKS } from '../../src/constants';
import { waitFor, isFinal } from '../helpers/wait-for';
import { apiToken, type E2eApp } from './app';

/** Signed-in admin calls to an e2e app, for setting up and checking what the browser does. */
export function e2eApi(session: { readonly app: E2eApp }) {
  let token = '';
  const signIn = async () => (token = await apiToken(session.app.url));
  const api = async (p: string, init: RequestInit = {}) => {
    if (!token) await signIn();
    const r = await fetch(`${session.app.url}/api/${p}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...(init.headers as object) },
    });
    return { status: r.status, body: (await r.json().catch(() => null)) as any };
  };
  /** Polls a task until it is final; signs in again when a restore replaced the users and their tokens. */
  const waitTask = (id: number, timeoutMs = 300000) =>
    waitFor(
      async () => {
        const r = await api(`${TASKS}:get?filterByTk=${id}`).catch(() => ({ status: 0, body: null }));
        if (r.status === 401) await signIn().catch(() => undefined);
        const row = r.status === 200 ? r.body.data : null;
        return isFinal(row) && row;
      },
      { timeoutMs, intervalMs: 1000, what: `task ${id}` },
    );
  /** The first task of the list that `match` accepts, once there is one. */
  const waitListed = (match: (t: any) => boolean, what: string, timeoutMs = 180000) =>
    waitFor(async () => ((await api(`${TASKS}:list`).catch(() => null))?.body?.data ?? []).find(match), { timeoutMs, intervalMs: 1000, what });
  return { api, signIn, waitTask, waitListed, token: () => token };
}
