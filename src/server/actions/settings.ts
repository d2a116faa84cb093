import type { Context, Next } from '@nocobase/actions';
import { SETTINGS } from '../../constants';
import { checkCron, nextRuns, toIso } from '../schedule/cron';
import { getScheduler } from '../schedule/scheduler';
import { getDrillScheduler } from '../drills/schedule';
import { healthAction } from './health';
import { sealWithAppKey } from '../crypto/app-key-seal';
import { readLastRun, readSealedPassword, readSettings, writeSettings } from '../schedule/settings-store';
import { passwordFrom } from './password';
import { applyUpdate, checkOffsiteEncryption, type ScheduleSettings } from '../schedule/settings-values';
import { getService } from '../service';
import { translate } from '../errors';
import { action, requestLanguage } from './respond';
import { listSubApps, subAppsToBackUp } from '../subapps/registry';
import { describeDataSource } from '../datasources/kinds';
import { listDataSourceRows, sourcesToBackUp } from '../datasources/registry';
import { readiness } from './readiness';
import { retentionPreviewAction } from './retention-preview';
import { checkEmailChannel, listEmailChannels } from '../alerts/email-channels';

const PREVIEW_RUNS = 5;

function upcoming(s: Pick<ScheduleSettings, 'cron' | 'timezone'>): string[] {
  return checkCron(s.cron, s.timezone).valid ? toIso(nextRuns(s.cron, s.timezone, PREVIEW_RUNS)) : [];
}

/** The automatic-backup settings page: one settings row, no list or destroy. */
export const settingsResource = {
  name: SETTINGS,
  only: ['get', 'update', 'preview', 'storages', 'apps', 'dataSources', 'readiness', 'retentionPreview', 'emailChannels', 'health'],
  actions: {
    retentionPreview: retentionPreviewAction,
    health: healthAction,

    get: action(async (ctx: Context, next: Next) => {
      const settings = await readSettings(ctx.db);
      ctx.body = {
        ...settings,
        hasPassword: !!(await readSealedPassword(ctx.db)),
        lastRun: await readLastRun(ctx.db),
        nextRuns: settings.enabled ? upcoming(settings) : [],
      };
      await next();
    }),

    /** The body is the values (NocoBase puts a POST body in params.values). */
    update: action(async (ctx: Context, next: Next) => {
      const values = (ctx.action.params.values || {}) as Record<string, unknown>;
      const settings = applyUpdate(await readSettings(ctx.db), values);
      // Names must be collections now (a 400 naming the unknown one); a later deletion is skipped at run time.
      if (values.excludeCollections !== undefined) getService(ctx.app).tablesOf(settings.excludeCollections);
      // A storage must exist and be usable now (a 400 saying why not).
      if (values.offsiteStorage !== undefined && settings.offsiteStorage) {
        await getService(ctx.app).offsite.storage(settings.offsiteStorage);
      }
      // Named sub-applications must exist now; '*' means whichever exist when the schedule runs.
      if (values.subApps !== undefined) await subAppsToBackUp(ctx.app, settings.subApps);
      if (values.dataSources !== undefined) await sourcesToBackUp(ctx.app, settings.dataSources);
      if (values.alertEmailChannel !== undefined && settings.alertEmailChannel) await checkEmailChannel(ctx.app, settings.alertEmailChannel);
      // A new password comes in the header (never the body: bodies are logged); clearPassword removes it.
      const password = passwordFrom(ctx);
      const clear = values.clearPassword === true || values.clearPassword === 'true';
      checkOffsiteEncryption(settings, clear ? false : !!password || !!(await readSealedPassword(ctx.db)));
      const sealed = clear
        ? { passwordSealed: null }
        : password
          ? { passwordSealed: sealWithAppKey(password, process.env.APP_KEY || '') }
          : {};
      await writeSettings(ctx.db, { ...settings, ...sealed });
      await getScheduler(ctx.app).rearm();
      await getDrillScheduler(ctx.app).rearm();
      ctx.body = {
        ...settings,
        hasPassword: !!(await readSealedPassword(ctx.db)),
        nextRuns: settings.enabled ? upcoming(settings) : [],
      };
      await next();
    }),

    /** NocoBase's e-mail notification channels, for the alerts (empty when the e-mail plugin is not enabled). */
    emailChannels: action(async (ctx: Context, next: Next) => {
      ctx.body = await listEmailChannels(ctx.app);
      await next();
    }),

    /** The multi-app manager's sub-applications, which Backup now and the schedule may include. */
    apps: action(async (ctx: Context, next: Next) => {
      ctx.body = await listSubApps(ctx.app);
      await next();
    }),

    /** External data sources, each said backed up with a tool or not (with the reason, translated); no options. */
    dataSources: action(async (ctx: Context, next: Next) => {
      const choices = (await listDataSourceRows(ctx.app)).map(describeDataSource);
      ctx.body = choices.map((c) => ({ ...c, reason: c.reason ? translate(requestLanguage(ctx), c.reason, { key: c.key, type: c.type }) : undefined }));
      await next();
    }),

    /** The file manager's storages, each said usable for off-site copies or not (with the reason, translated). */
    storages: action(async (ctx: Context, next: Next) => {
      const choices = await getService(ctx.app).offsite.storages();
      ctx.body = choices.map((c) => ({ ...c, reason: c.reason ? translate(requestLanguage(ctx), c.reason, { name: c.name, type: c.type }) : undefined }));
      await next();
    }),

    readiness,

    /** Never a 4xx for a bad expression: the form shows `error` under the field while the admin types. */
    preview: action(async (ctx: Context, next: Next) => {
      const { cron, timezone } = ctx.action.params as { cron?: unknown; timezone?: unknown };
      const check = checkCron(cron, timezone || 'UTC');
      if (check.valid === false) {
        const params = check.code === 'TIMEZONE_INVALID' ? { timezone: check.detail } : { detail: check.detail };
        ctx.body = {
          valid: false,
          error: translate(requestLanguage(ctx), check.code, params),
          nextRuns: [],
        };
      } else {
        ctx.body = { valid: true, nextRuns: upcoming({ cron: String(cron), timezone: String(timezone || 'UTC') }) };
      }
      await next();
    }),
  },
};
