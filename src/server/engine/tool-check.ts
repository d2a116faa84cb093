import { captureTool } from '../process/run';
import { ToolNotFoundError } from '../process/errors';
import { BackupError } from '../errors';
import type { DbConfig, QueryText, ToolDumper, ToolInfo, ToolPaths } from '../dumpers/types';

const INSTALL_HINT: Record<string, string> = {
  postgres: 'Install the PostgreSQL client matching the server, e.g. `apt-get install postgresql-client`.',
  kingbase: 'Install the KingbaseES client tools and set their paths in the plugin settings.',
  mysql: 'Install the MySQL client, e.g. `apt-get install default-mysql-client`.',
  mariadb: 'Install the MariaDB client, e.g. `apt-get install mariadb-client`.',
};

export interface CheckedTools {
  tool: ToolInfo;
  serverVersion: string;
}

/**
 * Detects the dump tool and the server version before anything starts; a missing or too-old tool says how to fix it.
 * `query`: cfg's database through a connection at hand (the app's), asked for the server version instead of a client.
 */
export async function checkTools(
  dumper: ToolDumper,
  cfg: DbConfig,
  tmpDir: string,
  tools?: ToolPaths,
  query?: QueryText,
): Promise<CheckedTools> {
  const versionSpec = dumper.versionSpec(tools);
  // Both questions at once: each is a process start (about 70-100 ms from a large server process).
  const [toolOut, serverOut] = await Promise.allSettled([
    captureTool(versionSpec),
    query ? query(dumper.serverVersionSql) : captureTool(dumper.serverVersionSpec(cfg, dumper.provisionalTool(tools), { tmpDir })),
  ]);
  let tool: ToolInfo;
  try {
    if (toolOut.status === 'rejected') throw toolOut.reason;
    tool = dumper.parseToolVersion(toolOut.value, tools);
  } catch (err) {
    if (err instanceof ToolNotFoundError) {
      throw new BackupError('TOOL_MISSING', { tool: versionSpec.command, fix: INSTALL_HINT[cfg.dialect] || '' }, 500, {
        cause: err,
      });
    }
    throw new BackupError('TOOL_FAILED', { tool: versionSpec.command, detail: (err as Error).message }, 500, { cause: err });
  }
  let serverVersion = '';
  try {
    if (serverOut.status === 'rejected') throw serverOut.reason;
    serverVersion = dumper.parseServerVersion(serverOut.value);
  } catch (err) {
    throw new BackupError('TOOL_FAILED', { tool: tool.command, detail: (err as Error).message }, 500, { cause: err });
  }
  const tooOld = dumper.clientTooOld(tool.version, serverVersion);
  if (tooOld) {
    throw new BackupError(
      'TOOL_TOO_OLD',
      { tool: tool.command, toolVersion: tool.version, serverVersion, fix: tooOld },
      500,
    );
  }
  return { tool, serverVersion };
}
