// Measuring the NocoBase server from outside: its process (found by the port it listens on, inside the
// process group the harness started), its RSS every 100 ms, and the latency of a cheap API call every 200 ms.
const fs = require('fs');
const { percentile, median } = require('./util');
const { pidsOfGroup } = require('../proc-group');

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return null;
  }
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Inodes of sockets listening on the port (IPv4 and IPv6). */
function listeningInodes(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (cols[1].endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The pid (in process group pgid) that listens on port: the NocoBase server itself, not yarn or the CLI. */
function findServerPid(pgid, port) {
  const inodes = listeningInodes(port);
  if (!inodes.size) return null;
  for (const pid of pidsOfGroup(pgid)) {
    let fds;
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return pid;
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return null;
}

/**
 * Samples, every 100 ms, VmRSS of the server process and the sum over its process group (the server plus the
 * dump tools it spawns). window(t0, t1) gives the baseline just before t0 and the peak within [t0, t1].
 */
class RssSampler {
  constructor(pgid, port) {
    this.pgid = pgid;
    this.port = port;
    this.samples = [];
    this.pid = null;
    this.timer = null;
    this.lastLookup = 0;
  }

  setGroup(pgid) {
    this.pgid = pgid;
    this.pid = null;
  }

  start() {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), 100);
    this.tick();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  tick() {
    const now = Date.now();
    let server = this.pid ? rssKb(this.pid) : null;
    if (server === null && now - this.lastLookup > 500) {
      this.lastLookup = now;
      this.pid = findServerPid(this.pgid, this.port);
      server = this.pid ? rssKb(this.pid) : null;
    }
    let group = 0;
    for (const pid of pidsOfGroup(this.pgid)) group += rssKb(pid) || 0;
    this.samples.push({ t: now, pid: this.pid, server: server === null ? null : server * 1024, group: group * 1024 });
    // keep memory bounded on long runs
    if (this.samples.length > 200000) this.samples.splice(0, 100000);
  }

  /** Baseline: median over the second before t0; peak: max within [t0, t1]; for the server and its group. */
  window(t0, t1) {
    const before = this.samples.filter((s) => s.t >= t0 - 1500 && s.t <= t0 && s.server !== null);
    const during = this.samples.filter((s) => s.t >= t0 && s.t <= t1);
    const pids = new Set(during.map((s) => s.pid).filter(Boolean));
    const srv = during.map((s) => s.server).filter((v) => v !== null);
    const grp = during.map((s) => s.group);
    const baseServer = before.length ? median(before.map((s) => s.server)) : srv[0] ?? null;
    const baseGroup = before.length ? median(before.map((s) => s.group)) : grp[0] ?? null;
    const peakServer = srv.length ? Math.max(...srv) : null;
    const peakGroup = grp.length ? Math.max(...grp) : null;
    // A coarse series (every ~500 ms) of the server's RSS in MB, relative to t0, for the JSON results.
    const series = [];
    for (const x of during) {
      if (x.server === null) continue;
      if (!series.length || x.t - t0 - series[series.length - 1][0] >= 500) series.push([x.t - t0, Math.round(x.server / 1048576)]);
    }
    return {
      series,
      samples: during.length,
      pids: [...pids],
      baseServer,
      peakServer,
      growthServer: peakServer !== null && baseServer !== null ? peakServer - baseServer : null,
      baseGroup,
      peakGroup,
      growthGroup: peakGroup !== null && baseGroup !== null ? peakGroup - baseGroup : null,
    };
  }
}

/** Calls a cheap API every 200 ms (not waiting for the previous answer) and records latency and status. */
class Pinger {
  constructor(api, path = 'app:getInfo') {
    this.api = api;
    this.path = path;
    this.results = [];
    this.timer = null;
    this.inflight = new Set();
  }

  start() {
    this.results = [];
    const fire = () => {
      const started = Date.now();
      const p = this.api
        .raw('GET', this.path, { timeoutMs: 30000 })
        .then((r) => this.results.push({ t: started, ms: r.ms, status: r.status }))
        .catch(() => this.results.push({ t: started, ms: Date.now() - started, status: 0 }))
        .finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    };
    fire();
    this.timer = setInterval(fire, 200);
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.inflight]);
    const ok = this.results.filter((r) => r.status === 200).map((r) => r.ms);
    return {
      count: this.results.length,
      ok: ok.length,
      errors: this.results.length - ok.length,
      p50: percentile(ok, 50),
      p95: percentile(ok, 95),
      max: ok.length ? Math.max(...ok) : null,
      samples: ok,
    };
  }
}

module.exports = { findServerPid, rssKb, cmdline, RssSampler, Pinger };
