import type { Page } from 'playwright-core';
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
  /** The admin's language: both enabled in the system settings, set on the user, and the one the shell keeps. */
  const useLanguage = async (page: Page, lang: 'en-US' | 'zh-CN') => {
    const settings = await api('systemSettings:get');
    expect(settings.status).toBe(200);
    const enabled = new Set<string>([...(settings.body.data.enabledLanguages ?? []), 'en-US', 'zh-CN']);
    const put = await api('systemSettings:put', {
      method: 'POST',
      body: JSON.stringify({ raw_title: settings.body.data.raw_title, enabledLanguages: [...enabled] }),
    });
    expect(put.status).toBe(200);
    expect((await api('users:updateLang', { method: 'POST', body: JSON.stringify({ appLang: lang }) })).status).toBe(200);
    // The shell asks for the language it keeps in localStorage (<prefix>LOCALE) first.
    await page.evaluate((l) => {
      for (const k of Object.keys(localStorage)) if (/LOCALE$/.test(k)) localStorage.setItem(k, l);
    }, lang);
  };
  return { api, signIn, waitTask, waitListed, useLanguage, token: () => token };
}
