import path from 'path';
import type { ToolInfo, ToolPaths } from './types';

/**
 * Fills in unset paths. Restore and client tools default to siblings of the dump tool, so pointing the dump tool
 * at e.g. /usr/lib/postgresql/16/bin/pg_dump also picks that directory's pg_restore and psql.
 */
export function resolveTools(
  defaults: Required<ToolPaths>,
  tools: ToolPaths = {},
  siblingsOf: (dumpName: string) => Pick<ToolPaths, 'restore' | 'client'> = () => ({}),
): Required<ToolPaths> {
  const dump = tools.dump || defaults.dump;
  const names = { ...defaults, ...siblingsOf(path.basename(dump)) };
  const sibling = (name: string) => (/[\\/]/.test(dump) ? path.join(path.dirname(dump), name) : name);
  return {
    dump,
    restore: tools.restore || sibling(names.restore),
    client: tools.client || sibling(names.client),
  };
}

/** The tool paths recorded in a ToolInfo, or those derived from its command. */
export function toolsOf(tool: ToolInfo, defaults: Required<ToolPaths>): Required<ToolPaths> {
  return resolveTools(defaults, { ...tool.tools, dump: tool.tools?.dump || tool.command });
}
