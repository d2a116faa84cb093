// The few parts of the admin shell (@nocobase/client, whose types are not installed) that this plugin uses,
// typed here once so that the rest of the client code is checked.
import { useAPIClient, useApp } from '@nocobase/client';
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import type { i18n as I18n } from 'i18next';
import type { ComponentType } from 'react';

export type RequestConfig<D = unknown> = AxiosRequestConfig<D> & {
  /** Keep the shell from showing its own error notification: every caller here shows the error itself. */
  skipNotify?: boolean;
};

export interface ApiClient {
  request<T = unknown, D = unknown>(config: RequestConfig<D>): Promise<AxiosResponse<T, D>>;
  /** Requests made outside axios (the resumable upload, download links) take its base URL, headers and interceptors from here. */
  axios: AxiosInstance;
  auth?: { setToken(token: string): void };
  getHeaders?(): Record<string, string>;
}

export interface PluginSettingOptions {
  title: string;
  icon?: string;
  Component?: ComponentType;
  aclSnippet?: string;
  sort?: number;
}

export interface ShellApp {
  i18n: I18n;
  pluginSettingsManager: { add(name: string, options: PluginSettingOptions): void };
}

export function useApi(): ApiClient {
  return useAPIClient() as ApiClient;
}

export function useShellApp(): ShellApp {
  return useApp() as ShellApp;
}
