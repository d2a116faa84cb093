// Small helpers shared by the benchmark (scripts/bench.js). Nothing here is shipped in the plugin.
const { spawn } = require('child_process');
const fs = require('fs');

const t0 = Date.now();
function log(msg) {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[bench ${s}s] ${msg}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a command; resolves { code, stdout, stderr, ms }, rejects on a non-zero exit (unless allowFail).
 * stdinFile / stdoutFile stream from / to files (never through this process' memory).
 */
function runCmd(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const stdio = ['ignore', 'pipe', 'pipe'];
    let inFd;
    let outFd;
    if (opts.stdinFile) stdio[0] = inFd = fs.openSync(opts.stdinFile, 'r');
    if (opts.stdoutFile) stdio[1] = outFd = fs.openSync(opts.stdoutFile, 'w');
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...(opts.env || {}) }, stdio });
    if (inFd !== undefined) fs.closeSync(inFd);
    if (outFd !== undefined) fs.closeSync(outFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      if (stdout.length < 1e6) stdout += d;
    });
    child.stderr.on('data', (d) => {
      if (stderr.length < 1e6) stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && !opts.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
      } else resolve({ code, stdout, stderr, ms });
    });
  });
}

function human(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return 'n/a';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let n = Math.abs(bytes);
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${bytes < 0 ? '-' : ''}${n.toFixed(i ? (n < 10 ? 2 : 1) : 0)} ${units[i]}`;
}

function percentile(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

function median(values) {
  return percentile(values, 50);
}

/** Bytes of regular files under a folder (0 when missing). */
function folderBytes(dir) {
  let total = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

/**
 * Replaces the block between `begin` and `end` in a report (docs/benchmarks.md), or inserts it before "## Method"
 * (at the end when there is none): each scenario owns its own section.
 */
function writeMarkedSection(file, begin, end, block) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  let out;
  if (i >= 0 && j > i) out = text.slice(0, i) + block + text.slice(j + end.length);
  else {
    const k = text.indexOf('\n## Method\n');
    out = k >= 0 ? `${text.slice(0, k + 1)}${block}\n\n${text.slice(k + 1)}` : `${text.replace(/\n*$/, '\n\n')}${block}\n`;
  }
  fs.writeFileSync(file, out);
}

module.exports = { log, sleep, runCmd, human, percentile, median, folderBytes, writeMarkedSection };
