import i18next from 'i18next';
import type { Application } from '@nocobase/server';
import { NAMESPACE } from '../../../constants';
import enUS from '../../../locale/en-US.json';
import zhCN from '../../../locale/zh-CN.json';

export type Row = Record<string, unknown> & { id: number };
type Filter = Record<string, unknown>;

/** A row as NocoBase's repository answers it: get(field) and toJSON(). */
const record = (row: Row) => ({ get: (key: string) => row[key], toJSON: () => ({ ...row }) });

/** Equality, `$in` and `$ne`: the filters the plugin writes against its own tables. Ids compare as text, as in SQL. */
function matches(row: Row, filter: Filter = {}): boolean {
  return Object.entries(filter).every(([key, want]) => {
    const have = row[key];
    if (want && typeof want === 'object' && !Array.isArray(want) && !(want instanceof Date)) {
      const op = want as { $in?: unknown[]; $ne?: unknown };
      if ('$in' in op) return (op.$in || []).some((v) => String(v) === String(have));
      if ('$ne' in op) return String(have) !== String(op.$ne);
      throw new Error(`memory store: unsupported filter on ${key}`);
    }
    return String(have) === String(want);
  });
}

function sorted(rows: Row[], sort: string[] = []): Row[] {
  return [...rows].sort((a, b) => {
    for (const s of sort) {
      const key = s.replace(/^-/, '');
      const dir = s.startsWith('-') ? -1 : 1;
      const x = a[key] instanceof Date ? (a[key] as Date).getTime() : (a[key] as number);
      const y = b[key] instanceof Date ? (b[key] as Date).getTime() : (b[key] as number);
      if (x !== y) return x < y ? -dir : dir;
    }
    return 0;
  });
}

/**
 * One table in memory, answering the subset of NocoBase's Repository (and of the Sequelize model the settings
 * store uses) that the plugin calls. `rows` is the table itself: tests read and seed it directly.
 */
export class MemoryRepository {
  readonly rows: Row[] = [];
  private nextId = 1;

  /** A row as a test seeds it: an id (the next free one unless given) and a creation time. */
  insert(values: Record<string, unknown>): Row {
    const id = typeof values.id === 'number' ? values.id : this.nextId;
    this.nextId = Math.max(this.nextId, id + 1);
    const row: Row = { createdAt: new Date(Date.now() + id), ...values, id };
    this.rows.push(row);
    return row;
  }

  private byTk(tk: unknown): Row | undefined {
    return this.rows.find((r) => String(r.id) === String(tk));
  }

  async create({ values, context }: { values: Record<string, unknown>; context?: { state?: { currentUser?: { id?: unknown } } } }) {
    // NocoBase's createdBy field fills createdById from the request's user.
    const createdById = context?.state?.currentUser?.id ?? values.createdById;
    return record(this.insert({ ...values, ...(createdById !== undefined ? { createdById } : {}) }));
  }

  async update({ filterByTk, values }: { filterByTk: unknown; values: Record<string, unknown> }) {
    const row = this.byTk(filterByTk);
    if (row) Object.assign(row, values);
    return row ? [record(row)] : [];
  }

  async findOne({ filterByTk, filter, sort }: { filterByTk?: unknown; filter?: Filter; sort?: string[] }) {
    const row = filterByTk !== undefined ? this.byTk(filterByTk) : sorted(this.rows.filter((r) => matches(r, filter)), sort)[0];
    return row ? record(row) : null;
  }

  async find({ filter, sort, offset = 0, limit }: { filter?: Filter; sort?: string[]; offset?: number; limit?: number } = {}) {
    const rows = sorted(this.rows.filter((r) => matches(r, filter)), sort);
    return rows.slice(offset, limit === undefined ? undefined : offset + limit).map(record);
  }

  async count({ filter }: { filter?: Filter } = {}) {
    return this.rows.filter((r) => matches(r, filter)).length;
  }

  async findAndCount(options: { filter?: Filter; sort?: string[]; offset?: number; limit?: number } = {}) {
    return [await this.find(options), await this.count(options)] as const;
  }

  async destroy({ filterByTk }: { filterByTk: unknown }) {
    const i = this.rows.findIndex((r) => String(r.id) === String(filterByTk));
    if (i >= 0) this.rows.splice(i, 1);
  }

  /** The Sequelize model over the same rows (settings-store.ts reads and writes the settings row through it). */
  readonly model = {
    findByPk: async (id: unknown) => {
      const row = this.byTk(id);
      return row ? { ...row, get: (key: string) => row[key] } : null;
    },
    update: async (values: Record<string, unknown>, { where }: { where: { id: unknown } }) => {
      const row = this.byTk(where.id);
      if (row) Object.assign(row, values);
    },
    create: async (values: Record<string, unknown>) => record(this.insert(values)),
  };
}

/** An i18next instance set up as NocoBase's app.i18n, holding our two locale files. */
export async function memoryI18n(lng = 'en-US') {
  const i18n = i18next.createInstance();
  await i18n.init({ lng, resources: {}, keySeparator: false, nsSeparator: false });
  i18n.addResourceBundle('en-US', NAMESPACE, enUS, true, false);
  i18n.addResourceBundle('zh-CN', NAMESPACE, zhCN, true, false);
  return i18n;
}

export interface MemoryAppOptions {
  name?: string;
  dialect?: string;
  version?: string;
  /** Collection name → table name: what app.db.getCollection knows. */
  collections?: Record<string, string>;
}

/**
 * The slice of a NocoBase app the task store and the actions use, every table in memory: the database (its
 * options, repositories, models and collections), the version, the translator and a log.
 */
export async function memoryApp(opts: MemoryAppOptions = {}) {
  const tables = new Map<string, MemoryRepository>();
  const table = (name: string) => {
    if (!tables.has(name)) tables.set(name, new MemoryRepository());
    return tables.get(name) as MemoryRepository;
  };
  const collections = new Map(
    Object.entries(opts.collections || {}).map(([name, tableName]) => [name, { name, options: {}, model: { tableName } }]),
  );
  const log = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
  const app = {
    name: opts.name ?? 'main',
    getVersion: () => opts.version ?? '2.2.15',
    i18n: await memoryI18n(),
    log,
    db: {
      options: { dialect: opts.dialect ?? 'postgres' },
      getRepository: table,
      getModel: (name: string) => table(name).model,
      hasCollection: (name: string) => collections.has(name),
      getCollection: (name: string) => collections.get(name),
      collections,
    },
  };
  return { app: app as unknown as Application, table, log };
}
