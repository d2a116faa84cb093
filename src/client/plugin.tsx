import { Plugin } from '@nocobase/client';
import { ACL_SNIPPET, SETTINGS_KEY } from '../constants';
import { tStr } from './locale';
import { BackupsManagerPage } from './pages/BackupsManagerPage';
import type { ShellApp } from './shell';

export class PluginBackupsManagerClient extends Plugin {
  async load() {
    const app = this.app as ShellApp;
    app.pluginSettingsManager.add(SETTINGS_KEY, {
      title: tStr(app, 'Backups Manager'),
      icon: 'CloudServerOutlined',
      Component: BackupsManagerPage,
      aclSnippet: ACL_SNIPPET,
    });
  }
}

export default PluginBackupsManagerClient;
