import { parseArgs, USAGE, type CliArgs } from './args';
import { EXIT, type ExitCode } from './exit-codes';
import { askOnTerminal, createOutput } from './output';
import { setChildRegistry } from '../process/children';
import { pidsDir } from '../restore/recover';
import { doctorCommand } from './doctor';
import { backupCommand, contextOf, listCommand, recoverCommand, restoreCommand, verifyCommand } from './standalone-commands';

/**
 * nb-backups: backup, restore, list and verify for a NocoBase app that cannot (or should not) start. Bundled on its
 * own (dist/cli/standalone.js): it reads the app's .env and runs the database tools, and never loads NocoBase.
 */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<ExitCode> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  const out = createOutput(args.json);
  // Backup and verify clean up on Ctrl+C (partial archive, scratch database); a restore is not interrupted by us.
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('Cancelling…\n');
    controller.abort();
  };
  if (args.command !== 'restore' && args.command !== 'recover') process.once('SIGINT', onSigint);
  try {
    const ctx = { ...contextOf(args, env, cwd, out, process.stderr), signal: controller.signal };
    // Tools this command starts get pid files: if it is killed, the next start of the app stops them.
    setChildRegistry(pidsDir(ctx.paths.storage));
    if (args.command === 'doctor') return await doctorCommand(ctx);
    if (args.command === 'backup') await backupCommand(ctx, args);
    else if (args.command === 'list') await listCommand(ctx);
    else if (args.command === 'verify') await verifyCommand(ctx, args);
    else if (args.command === 'recover') await recoverCommand(ctx, args);
    else await restoreCommand(ctx, args, { confirm: askOnTerminal });
    return EXIT.OK;
  } catch (err) {
    return out.fail(err);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${(err as Error)?.stack || err}\n`);
      process.exitCode = EXIT.FAILED;
    },
  );
}
