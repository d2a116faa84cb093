import path from 'path';
import { Plugin } from '@nocobase/server';
import { TASKS } from '../constants';
import { registerAcl } from './acl';
import { staticImport } from './cli/app-commands';
import { settingsResource } from './actions/settings';
import { tasksResource } from './actions/tasks';
import { registerLocales } from './locale';
import { getScheduler } from './schedule/scheduler';
import { getStaleWatch } from './alerts/stale-watch';
import { getDrillScheduler } from './drills/schedule';
import { getService } from './service';
import { hideLinkSignatures } from './download/hide-link-signature';
import { uploadsResource } from './uploads/tus-resource';
import { TusSweeper } from './uploads/tus-sweeper';

export class PluginBackupsManagerServer extends Plugin {
  // `yarn nocobase backups-manager ...`: registered before any app exists, as the CLI parses before plugins load.
  static staticImport = staticImport;

  async beforeLoad() {
    registerAcl(this.app);
    // NocoBase imports server/collections itself when the plugin is loaded by package name; a plugin class
    // handed over directly (tests) gets them here.
    if (!this.options.packageName && !this.db.hasCollection(TASKS)) {
      await this.db.import({ directory: path.resolve(__dirname, 'collections') });
    }
  }

  async load() {
    registerLocales(this.app);
    hideLinkSignatures(this.app);
    this.app.resourceManager.define(tasksResource);
    this.app.resourceManager.define(settingsResource);
    this.app.resourceManager.define(uploadsResource);
    const service = getService(this.app);
    const scheduler = getScheduler(this.app);
    const staleWatch = getStaleWatch(this.app);
    const tusSweeper = new TusSweeper(() => service.paths.uploads, (err) => this.log.warn('backups-manager upload sweep failed', { err }));
    // After every start (first boot, restart after a restore or upgrade): finish what a crash or restore left.
    this.app.on('afterStart', async () => {
      // Never let our housekeeping stop the app from starting.
      await service.onAppStarted().catch((err) => this.log.error('backups-manager start-up housekeeping failed', { err }));
      // After the housekeeping, so a task a crash left 'running' no longer makes the first slot look busy.
      await scheduler.start().catch((err) => this.log.error('backups-manager scheduler did not start', { err }));
      // Its own timer, not the scheduler's: the stale-backup alert must fire when the schedule is off or broken.
      staleWatch.start();
      tusSweeper.start();
      await getDrillScheduler(this.app).start().catch((err) => this.log.error('backups-manager drills did not start', { err }));
    });
    this.app.on('beforeStop', async () => {
      scheduler.stop();
      staleWatch.stop();
      tusSweeper.stop();
      getDrillScheduler(this.app).stop();
    });
  }
}

export default PluginBackupsManagerServer;
