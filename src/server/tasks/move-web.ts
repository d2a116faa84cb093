import path from 'path';
import { NAMESPACE } from '../../constants';
import type { MoveReport } from '../move/copy-plan';
import { nocobaseSteps } from '../move/nocobase-steps';
import { lineWriter } from '../process/line-writer';
import { moveStep } from '../restore/move-step';
import type { MoveStep } from '../restore/runner';
import type { BackupsService } from '../service';

/**
 * The web restore's move of a SQLite backup into this app's server database: the same step as the command line's
 * (restore/move-step.ts), with NocoBase's install and db:sync run as children of the server from its own folder and
 * environment while the app is in maintenance. Each table copied is logged and named on the maintenance screen.
 */
export function webMoveStep(
  service: BackupsService,
  tmpDir: string,
  progress: (copied: number, total: number) => void,
  onReport: (report: MoveReport) => void,
): MoveStep {
  const app = service.app;
  const appDir = process.cwd();
  const configured = process.env.PLUGIN_STORAGE_PATH;
  const pluginStorage = configured ? path.resolve(appDir, configured) : path.join(service.paths.storage, 'plugins');
  const say = (message: string) => app.log.info(`[${NAMESPACE}] ${message}`);
  let table = '';
  return moveStep({
    target: service.dbConfig(),
    tmpDir,
    timezone: process.env.DB_TIMEZONE,
    appDir,
    nocobase: nocobaseSteps(appDir, process.env, pluginStorage, lineWriter((line) => line.trim() && app.log.debug(`[${NAMESPACE}] nocobase: ${line}`))),
    say: (message) => {
      say(message);
      app.setMaintainingMessage('moving data');
    },
    progress: (copied, total, current) => {
      if (current !== table) {
        table = current;
        // A dump does not say how many rows it holds (a move out of PostgreSQL): then only what is copied.
        const count = total ? `${copied} of ${total} rows copied` : `${copied} rows copied`;
        say(`moving ${current} (${count})`);
        // The maintenance screen is what the admin sees meanwhile (the task table itself is being replaced): NocoBase
        // shows its own progress there the same way, as text (e.g. "load plugin [users], 47/78").
        app.setMaintainingMessage(`moving data: ${current}, ${count}`);
      }
      progress(copied, total);
    },
    onReport,
  });
}
