import type { FindOptions, Repository } from '@nocobase/database';

/** Repository.find answers models typed `any`: here their JSON, typed by the caller, so strict mode checks the rest. */
export async function findJson<T>(repo: Repository, options: FindOptions = {}): Promise<T[]> {
  const rows: { toJSON(): unknown }[] = await repo.find(options);
  return rows.map((r) => r.toJSON() as T);
}
