import { getDumper } from '../dumpers';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import { CodedError } from '../errors';
import { checkTools } from '../engine/tool-check';
import { ToolNotFoundError } from '../process/errors';
import type { ToolFact } from './types';

/** What a backup's own tool check (engine/tool-check.ts) would say of this database, as a fact instead of an error. */
export async function toolFact(db: DbConfig, tmpDir: string, tools?: ToolPaths): Promise<ToolFact> {
  const dumper = getDumper(db.dialect);
  if (dumper.kind === 'file') return { state: 'none' };
  try {
    const { tool, serverVersion } = await checkTools(dumper, db, tmpDir, tools);
    return { state: 'ok', tool: tool.command, version: tool.version, serverVersion };
  } catch (err) {
    const p = err instanceof CodedError ? (err.params as Record<string, string>) : {};
    const tool = p.tool || dumper.versionSpec(tools).command;
    if (err instanceof CodedError && err.code === 'TOOL_MISSING') return { state: 'missing', tool };
    if (err instanceof ToolNotFoundError) return { state: 'missing', tool: err.command };
    if (err instanceof CodedError && err.code === 'TOOL_TOO_OLD') {
      return { state: 'too-old', tool, version: p.toolVersion, serverVersion: p.serverVersion, hint: p.fix };
    }
    return { state: 'failed', tool, detail: p.detail || (err as Error)?.message || String(err) };
  }
}
