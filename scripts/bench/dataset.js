// The generated dataset: one collection created through the API (so it is a real NocoBase collection with its
// fields), filled with SQL; upload files written into the app's storage, each with an attachments record (the
// built-in backup only carries files that have one); and the checks that a restore brought everything back.
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { log } = require('./util');

const TABLE = 'bench_items';
const BASE_ROWS = 1000000;
const BASE_FILES = 2000;
const BASE_FILE_BYTES = 300 * 1024 * 1024;
const FILE_DIR = 'bench'; // under storage/uploads, the attachments' `path`

function sizes(scale) {
  return {
    rows: Math.max(1000, Math.round(BASE_ROWS * scale)),
    files: Math.max(20, Math.round(BASE_FILES * scale)),
    fileBytes: Math.max(1024 * 1024, Math.round(BASE_FILE_BYTES * scale)),
  };
}

/** collections:create with its fields, as the collection manager does. */
async function createCollection(api) {
  const ui = (title, component) => ({ type: 'string', title, 'x-component': component });
  await api.ok('POST', 'collections:create', {
    name: TABLE,
    title: 'Benchmark items',
    autoGenId: true,
    createdAt: true,
    updatedAt: true,
    fields: [
      { name: 'title', type: 'string', interface: 'input', uiSchema: ui('Title', 'Input') },
      { name: 'body', type: 'text', interface: 'textarea', uiSchema: ui('Body', 'Input.TextArea') },
      { name: 'amount', type: 'double', interface: 'number', uiSchema: { type: 'number', title: 'Amount', 'x-component': 'InputNumber' } },
      { name: 'quantity', type: 'integer', interface: 'integer', uiSchema: { type: 'number', title: 'Quantity', 'x-component': 'InputNumber' } },
      {
        name: 'status',
        type: 'string',
        interface: 'select',
        uiSchema: {
          type: 'string',
          title: 'Status',
          'x-component': 'Select',
          enum: ['new', 'open', 'done', 'archived'].map((v) => ({ value: v, label: v })),
        },
      },
      { name: 'happenedAt', type: 'date', interface: 'datetime', uiSchema: { type: 'string', title: 'Happened at', 'x-component': 'DatePicker' } },
      { name: 'flag', type: 'boolean', interface: 'checkbox', uiSchema: { type: 'boolean', title: 'Flag', 'x-component': 'Checkbox' } },
      { name: 'createdAt', type: 'date', interface: 'createdAt', field: 'createdAt', uiSchema: { type: 'datetime', title: 'Created at', 'x-component': 'DatePicker', 'x-read-pretty': true } },
      { name: 'updatedAt', type: 'date', interface: 'updatedAt', field: 'updatedAt', uiSchema: { type: 'datetime', title: 'Updated at', 'x-component': 'DatePicker', 'x-read-pretty': true } },
    ],
  });
  // A record through the API proves the collection works end to end; the SQL fill replaces it.
  await api.ok('POST', `${TABLE}:create`, { title: 'created through the API', quantity: 1 });
}

/** ~300 bytes a row: five different md5 hex strings (compress about 2:1, like ordinary text). */
async function fillRows(d, db, rows) {
  const q = d.q;
  const cols = ['id', 'title', 'body', 'amount', 'quantity', 'status', 'happenedAt', 'flag', 'createdAt', 'updatedAt'].map(q).join(', ');
  await d.sql(db, `DELETE FROM ${q(TABLE)}`);
  if (d.name === 'postgres') {
    await d.sql(
      db,
      `INSERT INTO ${q(TABLE)} (${cols}) SELECT g, 'Item ' || g, ` +
        `md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 17)::text) || md5((g * 19)::text), ` +
        `(g % 100000) / 100.0, g % 1000, (ARRAY['new','open','done','archived'])[1 + g % 4], ` +
        `timestamptz '2024-01-01' + g * interval '1 minute', g % 2 = 0, now(), now() FROM generate_series(1, ${rows}) g`,
    );
    await d.sql(db, `SELECT setval(pg_get_serial_sequence('${TABLE}', 'id'), ${rows})`);
  } else {
    // MariaDB's Sequence engine (seq_1_to_N), in chunks so one transaction does not grow without bound.
    const chunk = 200000;
    for (let from = 1; from <= rows; from += chunk) {
      const to = Math.min(rows, from + chunk - 1);
      await d.sql(
        db,
        `INSERT INTO ${q(TABLE)} (${cols}) SELECT seq, CONCAT('Item ', seq), ` +
          `CONCAT(MD5(seq), MD5(seq * 7), MD5(seq * 13), MD5(seq * 17), MD5(seq * 19)), ` +
          `(seq % 100000) / 100.0, seq % 1000, ELT(1 + seq % 4, 'new', 'open', 'done', 'archived'), ` +
          `TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE, seq % 2 = 0, NOW(), NOW() FROM seq_${from}_to_${to}`,
      );
    }
    await d.sql(db, `ALTER TABLE ${q(TABLE)} AUTO_INCREMENT = ${rows + 1}`);
  }
}

/** Deterministic PRNG so every run writes the same sizes. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function textCorpus(bytes, rnd) {
  const words = 'backup restore archive database table record field upload file storage server client request response index query transaction commit rollback schema plugin collection value number string date time user role permission workflow'.split(' ');
  const parts = [];
  let n = 0;
  while (n < bytes) {
    let line = `${Math.floor(rnd() * 1e6)}`;
    const len = 8 + Math.floor(rnd() * 12);
    for (let i = 0; i < len; i++) line += ` ${words[Math.floor(rnd() * words.length)]}`;
    line += '\n';
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join(''));
}

/**
 * Writes the upload files: a third incompressible random bytes, the rest compressible text. Returns their
 * descriptions for the attachments records.
 */
function writeFiles(storage, count, totalBytes) {
  const dir = path.join(storage, 'uploads', FILE_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const rnd = prng(42);
  const avg = totalBytes / count;
  const corpus = textCorpus(4 * 1024 * 1024, rnd);
  const files = [];
  for (let i = 0; i < count; i++) {
    const size = Math.max(64, Math.round(avg * (0.5 + rnd())));
    const random = i % 3 === 0;
    const filename = `f${String(i).padStart(6, '0')}${random ? '.bin' : '.txt'}`;
    let data;
    if (random) data = crypto.randomBytes(size);
    else {
      const header = Buffer.from(`file ${i}\n`);
      data = Buffer.alloc(size);
      header.copy(data, 0);
      let pos = Math.min(header.length, size);
      let off = Math.floor(rnd() * corpus.length);
      while (pos < size) {
        const n = Math.min(size - pos, corpus.length - off);
        corpus.copy(data, pos, off, off + n);
        pos += n;
        off = 0;
      }
    }
    fs.writeFileSync(path.join(dir, filename), data);
    files.push({ filename, size, random });
  }
  return files;
}

/** One attachments row per file (local storage, path "bench"), through a SQL file (too long for argv). */
async function insertAttachments(d, db, files, tmpDir) {
  const q = d.q;
  const storageId = await d.sql(db, `SELECT id FROM ${q('storages')} WHERE ${q('type')} = 'local' ORDER BY id LIMIT 1`);
  if (!storageId) throw new Error('no local storage in the app');
  const maxId = Number((await d.sql(db, `SELECT COALESCE(MAX(id), 0) FROM ${q('attachments')}`)) || 0);
  const now = d.name === 'postgres' ? 'now()' : 'NOW()';
  const values = files.map((f, i) => {
    const ext = path.extname(f.filename);
    const mime = f.random ? 'application/octet-stream' : 'text/plain';
    return `(${maxId + i + 1}, '${f.filename}', '${f.filename}', '${ext}', ${f.size}, '${mime}', '${FILE_DIR}', '/storage/uploads/${FILE_DIR}/${f.filename}', ${storageId}, '{}', ${now}, ${now})`;
  });
  const cols = ['id', 'title', 'filename', 'extname', 'size', 'mimetype', 'path', 'url', 'storageId', 'meta', 'createdAt', 'updatedAt'].map(q).join(', ');
  const file = path.join(tmpDir, 'attachments.sql');
  fs.writeFileSync(file, `INSERT INTO ${q('attachments')} (${cols}) VALUES\n${values.join(',\n')};\n`);
  await d.sqlFile(db, file);
  fs.rmSync(file, { force: true });
}

async function rowCount(d, db) {
  return Number(await d.sql(db, `SELECT count(*) FROM ${d.q(TABLE)}`));
}

/** sha256 of every regular file under storage/uploads, keyed by relative path. */
async function uploadsDigest(storage) {
  const root = path.join(storage, 'uploads');
  const out = new Map();
  const walk = async (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const h = crypto.createHash('sha256');
        await new Promise((resolve, reject) => {
          fs.createReadStream(p, { highWaterMark: 1024 * 1024 })
            .on('data', (c) => h.update(c))
            .on('end', resolve)
            .on('error', reject);
        });
        out.set(path.relative(root, p), h.digest('hex'));
      }
    }
  };
  await walk(root);
  return out;
}

/** One hash over the whole set (for the report) */
function digestOf(map) {
  const h = crypto.createHash('sha256');
  for (const k of [...map.keys()].sort()) h.update(`${k}\0${map.get(k)}\n`);
  return h.digest('hex').slice(0, 16);
}

function compareDigests(expected, actual) {
  let missing = 0;
  let changed = 0;
  let extra = 0;
  for (const [k, v] of expected) {
    if (!actual.has(k)) missing++;
    else if (actual.get(k) !== v) changed++;
  }
  for (const k of actual.keys()) if (!expected.has(k)) extra++;
  return { files: actual.size, missing, changed, extra };
}

/** Changes rows and files so a restore has something to undo: 1% of rows deleted, 2% of files deleted, one added. */
async function mutate(d, db, storage, expectedRows, label) {
  const cut = Math.max(10, Math.floor(expectedRows / 100));
  await d.sql(db, `DELETE FROM ${d.q(TABLE)} WHERE id <= ${cut}`);
  const dir = path.join(storage, 'uploads', FILE_DIR);
  const names = fs.readdirSync(dir).sort();
  for (let i = 0; i < names.length; i += 50) fs.rmSync(path.join(dir, names[i]), { force: true });
  fs.writeFileSync(path.join(dir, `stray-${label}.txt`), `written before the ${label} restore; a restore should remove it\n`);
}

/** After a restore: the table's row count and the upload files against the originals. */
async function verify(d, db, storage, expectedRows, expectedDigest) {
  const rows = await rowCount(d, db).catch(() => -1);
  const files = compareDigests(expectedDigest, await uploadsDigest(storage));
  const ok = rows === expectedRows && files.missing === 0 && files.changed === 0;
  const notes = [];
  if (rows !== expectedRows) notes.push(`${rows} rows, expected ${expectedRows}`);
  if (files.missing) notes.push(`${files.missing} files missing`);
  if (files.changed) notes.push(`${files.changed} files differ`);
  if (files.extra) notes.push(`${files.extra} stray file(s) left`);
  return { ok, rows, ...files, notes };
}

function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = { TABLE, FILE_DIR, sizes, createCollection, fillRows, writeFiles, insertAttachments, rowCount, uploadsDigest, digestOf, mutate, verify, tmpDir, log };
