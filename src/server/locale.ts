import type { Application } from '@nocobase/server';
import { NAMESPACE } from '../constants';
import enUS from '../locale/en-US.json';
import zhCN from '../locale/zh-CN.json';

/**
 * NocoBase puts a plugin's locale files into app.i18n when a language is first asked for, and never for a plugin
 * class handed over without a package name (tests). Texts made in the background (scheduled runs, notifications,
 * task errors) need them before any request: add ours now, keeping whatever is already there.
 */
export function registerLocales(app: Application): void {
  for (const [lng, resources] of [
    ['en-US', enUS],
    ['zh-CN', zhCN],
  ] as const) {
    app.i18n.addResourceBundle(lng, NAMESPACE, resources, true, false);
  }
}
