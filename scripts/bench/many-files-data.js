// The many-small-files dataset (scripts/bench/many-files.js): N files of 2 KB of random bytes spread over folders
// of storage/uploads, one `attachments` row each, and the checks after a restore. A file's bytes are a function of
// its index (AES-128-CTR of zeros, the index as counter block), so checking needs no stored digests even at 500,000.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = 'mf'; // storage/uploads/mf/<folder>/<file>
const PER_FOLDER = 500; // NocoBase's local storage puts many files in one folder; a few hundred per folder here
const FILE_BYTES = 2048;
const KEY = Buffer.alloc(16, 7);
const ZEROS = Buffer.alloc(FILE_BYTES);
const NAME_RE = /^(\d{7})\.bin$/;

/** Where file i lives: its folder relative to storage/uploads (the attachment's `path`) and its name. */
function fileAt(i) {
  return { dir: `${ROOT}/${String(Math.floor(i / PER_FOLDER)).padStart(4, '0')}`, filename: `${String(i).padStart(7, '0')}.bin` };
}

/** The 2,048 bytes of file i: random-looking (incompressible) and reproducible. */
function contentOf(i) {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(i, 12);
  iv.writeUInt32BE(0x6d66, 0); // keeps the counter blocks of neighbouring files apart
  return crypto.createCipheriv('aes-128-ctr', KEY, iv).update(ZEROS);
}

/** Files already under storage/uploads (the fresh app's own), relative paths: not strays after a restore. */
function listUploads(storage) {
  const uploads = path.join(storage, 'uploads');
  const out = new Set();
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else out.add(path.relative(uploads, path.join(dir, e.name)));
    }
  };
  walk(uploads);
  return out;
}

function folderCount(count) {
  return Math.ceil(count / PER_FOLDER);
}

/** Writes the files; synchronous (the bench process does nothing else meanwhile). */
function writeFiles(storage, count) {
  const uploads = path.join(storage, 'uploads');
  for (let i = 0; i < count; i++) {
    const f = fileAt(i);
    if (i % PER_FOLDER === 0) fs.mkdirSync(path.join(uploads, f.dir), { recursive: true });
    fs.writeFileSync(path.join(uploads, f.dir, f.filename), contentOf(i));
  }
  return { files: count, bytes: count * FILE_BYTES, folders: folderCount(count) };
}

/** One `attachments` row per file (the local storage), in INSERTs of 5,000 rows written to a SQL file. */
async function insertAttachments(d, db, count, tmpDir) {
  const q = d.q;
  const storageId = await d.sql(db, `SELECT id FROM ${q('storages')} WHERE ${q('type')} = 'local' ORDER BY id LIMIT 1`);
  if (!storageId) throw new Error('no local storage in the app');
  const maxId = Number((await d.sql(db, `SELECT COALESCE(MAX(id), 0) FROM ${q('attachments')}`)) || 0);
  const now = d.name === 'postgres' ? 'now()' : 'NOW()';
  const cols = ['id', 'title', 'filename', 'extname', 'size', 'mimetype', 'path', 'url', 'storageId', 'meta', 'createdAt', 'updatedAt'].map(q).join(', ');
  const file = path.join(tmpDir, 'mf-attachments.sql');
  const fd = fs.openSync(file, 'w');
  try {
    for (let from = 0; from < count; from += 5000) {
      const values = [];
      for (let i = from; i < Math.min(count, from + 5000); i++) {
        const f = fileAt(i);
        values.push(`(${maxId + i + 1}, '${f.filename}', '${f.filename}', '.bin', ${FILE_BYTES}, 'application/octet-stream', '${f.dir}', '/storage/uploads/${f.dir}/${f.filename}', ${storageId}, '{}', ${now}, ${now})`);
      }
      fs.writeSync(fd, `INSERT INTO ${q('attachments')} (${cols}) VALUES\n${values.join(',\n')};\n`);
    }
  } finally {
    fs.closeSync(fd);
  }
  await d.sqlFile(db, file);
  fs.rmSync(file, { force: true });
}

async function attachmentCount(d, db) {
  return Number(await d.sql(db, `SELECT count(*) FROM ${d.q('attachments')}`));
}

/** Something for a restore to undo: every 50th file deleted, 1% of the attachment rows deleted, a stray file added. */
async function mutate(d, db, storage, count, label) {
  const uploads = path.join(storage, 'uploads');
  for (let i = 7; i < count; i += 50) {
    const f = fileAt(i);
    fs.rmSync(path.join(uploads, f.dir, f.filename), { force: true });
  }
  await d.sql(db, `DELETE FROM ${d.q('attachments')} WHERE MOD(id, 100) = 0`);
  fs.writeFileSync(path.join(uploads, ROOT, `stray-${label}.txt`), `written before the ${label} restore; a restore should remove it\n`);
}

/**
 * Every file under storage/uploads against what was written: missing, changed, and extra (any other file, except
 * those in `known`: what the fresh app had there before the dataset, relative paths).
 */
function verifyFiles(storage, count, known = new Set()) {
  const uploads = path.join(storage, 'uploads');
  const seen = new Uint8Array(count);
  let changed = 0;
  let extra = 0;
  let files = 0;
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      if (!e.isFile()) continue;
      files++;
      const m = NAME_RE.exec(e.name);
      const i = m ? Number(m[1]) : -1;
      if (i < 0 || i >= count || path.relative(uploads, dir) !== fileAt(i).dir) {
        if (!known.has(path.relative(uploads, p))) extra++;
        continue;
      }
      seen[i] = 1;
      if (!fs.readFileSync(p).equals(contentOf(i))) changed++;
    }
  };
  walk(uploads);
  let missing = 0;
  for (let i = 0; i < count; i++) if (!seen[i]) missing++;
  return { files, missing, changed, extra };
}

/** After a restore: bench_items rows, attachment rows and the files against the originals. */
async function verify(d, db, storage, expected, rowCount) {
  const rows = await rowCount(d, db).catch(() => -1);
  const attachments = await attachmentCount(d, db).catch(() => -1);
  const f = verifyFiles(storage, expected.files, expected.known);
  const ok = rows === expected.rows && attachments === expected.attachments && f.missing === 0 && f.changed === 0;
  const notes = [];
  if (rows !== expected.rows) notes.push(`${rows} rows, expected ${expected.rows}`);
  if (attachments !== expected.attachments) notes.push(`${attachments} attachment rows, expected ${expected.attachments}`);
  if (f.missing) notes.push(`${f.missing} files missing`);
  if (f.changed) notes.push(`${f.changed} files differ`);
  if (f.extra) notes.push(`${f.extra} stray file(s) left`);
  return { ok, rows, attachments, ...f, notes };
}

module.exports = { listUploads, ROOT, PER_FOLDER, FILE_BYTES, fileAt, contentOf, folderCount, writeFiles, insertAttachments, attachmentCount, mutate, verifyFiles, verify };
