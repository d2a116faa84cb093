import { useCallback } from 'react';
import { NAMESPACE } from '../constants';
import { ShellApp, useShellApp } from './shell';

export type TOptions = Record<string, unknown>;
export type TFunction = (key: string, options?: TOptions) => string;

const NS = [NAMESPACE, 'client'];

function translate(app: ShellApp, key: string, options: TOptions = {}): string {
  // React escapes what it renders, so i18next must not HTML-escape interpolated values a second time.
  return String(app.i18n.t(key, { ns: NS, interpolation: { escapeValue: false }, ...options }));
}

/** `t(key, options)` in this plugin's namespace, falling back to the shell's 'client' namespace. */
export function useT(): TFunction {
  const app = useShellApp();
  return useCallback<TFunction>((key, options) => translate(app, key, options), [app]);
}

/** For code that runs outside React (the plugin's load()). */
export function tStr(app: ShellApp, key: string, options?: TOptions): string {
  return translate(app, key, options);
}

/** The admin's language, e.g. 'zh-CN', for Intl formatting. */
export function useLanguage(): string {
  return useShellApp().i18n.language || 'en-US';
}
