// A tiny HTTP client on node:http for the benchmark: JSON calls with the admin's token, and streamed
// uploads/downloads that never hold a body in memory.
const fs = require('fs');
const http = require('http');
const { pipeline } = require('stream/promises');

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const ADMIN = { account: 'admin@nocobase.com', password: 'admin123' };

class Api {
  constructor(baseUrl) {
    this.base = new URL(baseUrl);
    this.token = '';
  }

  /** One request; resolves { status, body, ms }. body is parsed JSON when it is JSON. Never rejects on HTTP status. */
  raw(method, pathAndQuery, { json, headers = {}, bodyFile, sinkFile, timeoutMs = 60000, token } = {}) {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      const tok = token === undefined ? this.token : token;
      if (tok) h.Authorization = `Bearer ${tok}`;
      let payload;
      if (json !== undefined) {
        payload = Buffer.from(JSON.stringify(json));
        h['Content-Type'] = 'application/json';
        h['Content-Length'] = payload.length;
      } else if (bodyFile) {
        h['Content-Type'] = h['Content-Type'] || 'application/octet-stream';
        h['Content-Length'] = fs.statSync(bodyFile).size;
      }
      const started = process.hrtime.bigint();
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path: `/api/${pathAndQuery}`,
          headers: h,
          agent,
        },
        (res) => {
          if (sinkFile && res.statusCode === 200) {
            let bytes = 0;
            res.on('data', (c) => (bytes += c.length));
            pipeline(res, fs.createWriteStream(sinkFile))
              .then(() => resolve({ status: res.statusCode, body: null, bytes, ms: msSince(started) }))
              .catch(reject);
            return;
          }
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body = text;
            try {
              body = JSON.parse(text);
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode, body, ms: msSince(started) });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${pathAndQuery}`)));
      req.on('error', reject);
      if (payload) req.end(payload);
      else if (bodyFile) {
        pipeline(fs.createReadStream(bodyFile, { highWaterMark: 1024 * 1024 }), req).catch(reject);
      } else req.end();
    });
  }

  /** JSON call that signs in again once on 401 (a restore may bring back a token table without our token). */
  async call(method, pathAndQuery, opts = {}) {
    let r = await this.raw(method, pathAndQuery, opts);
    if (r.status === 401 && opts.token === undefined) {
      await this.signIn();
      r = await this.raw(method, pathAndQuery, opts);
    }
    return r;
  }

  async get(p, opts) {
    return this.call('GET', p, opts);
  }

  async post(p, json = {}, opts = {}) {
    return this.call('POST', p, { ...opts, json });
  }

  /** Like call, but throws unless the answer is 2xx; returns the unwrapped `data`. */
  async ok(method, p, json) {
    const r = await this.call(method, p, json === undefined ? {} : { json });
    if (r.status < 200 || r.status >= 300) {
      throw new Error(`${method} ${p} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 1000)}`);
    }
    return r.body && typeof r.body === 'object' && 'data' in r.body ? r.body.data : r.body;
  }

  async signIn() {
    const r = await this.raw('POST', 'auth:signIn', { json: ADMIN, headers: { 'X-Authenticator': 'basic' }, token: null });
    if (!r.body?.data?.token) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    this.token = r.body.data.token;
    return this.token;
  }

  /** true when the app answers API calls (not 503 maintenance, not down). */
  async healthy() {
    try {
      const r = await this.raw('GET', 'app:getInfo', { timeoutMs: 5000 });
      if (r.status === 401) {
        await this.signIn();
        return true;
      }
      return r.status === 200;
    } catch {
      return false;
    }
  }
}

function msSince(started) {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

module.exports = { Api, ADMIN, agent };
