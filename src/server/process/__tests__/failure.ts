import { ToolError } from '../errors';

/** The ToolError a run rejects with (fails the test if it resolves or throws something else). */
export async function failure(run: Promise<unknown>): Promise<ToolError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ToolError) return error;
    throw error;
  }
  throw new Error('Expected a ToolError');
}
