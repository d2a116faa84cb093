import path from 'path';
import { Writable } from 'stream';
import { NAMESPACE } from '../../constants';
import type { MoveReport } from '../move/copy-plan';
import { nocobaseSteps } from '../move/nocobase-steps';
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
    nocobase: nocobaseSteps(appDir, process.env, pluginStorage, lineLog((line) => app.log.debug(`[${NAMESPACE}] nocobase: ${line}`))),
    say: (message) => {
      say(message);
      app.setMaintainingMessage('moving data');
    },
    progress: (copied, total, current) => {
      if (current !== table) {
        table = current;
        say(`moving ${current} (${copied} of ${total} rows copied)`);
        // The maintenance screen is what the admin sees meanwhile (the task table itself is being replaced): NocoBase
        // shows its own progress there the same way, as text (e.g. "load plugin [users], 47/78").
        app.setMaintainingMessage(`moving data: ${current}, ${copied} of ${total} rows copied`);
      }
      progress(copied, total);
    },
    onReport,
  });
}

/** A stream that hands each line written to it to `fn` (the children's output, into the server's log). */
function lineLog(fn: (line: string) => void): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) fn(line);
      cb();
    },
    final(cb) {
      if (rest.trim()) fn(rest);
      cb();
    },
  });
}
