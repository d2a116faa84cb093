// A reverse proxy on loopback that refuses request bodies over a limit with 413, as nginx's client_max_body_size
// does, and counts the request body bytes it passed on (tests and `npm run bench --only uploads`). Everything else
// is forwarded, so a browser can use the whole app through it.
const http = require('http');
const net = require('net');

/**
 * @param {{ target: string, limit: number, port?: number }} opts target: http://127.0.0.1:<app port>
 * @returns {Promise<{ url: string, port: number, bytesIn: () => number, reset: () => void, refused: () => number, close: () => Promise<void>, cutAfter: (n: number) => void }>}
 */
function startSmallBodyProxy(opts) {
  const target = new URL(opts.target);
  // As nginx is usually set up: the app's own Host, the proxy's in X-Forwarded-Host (NocoBase compares a sign-in's
  // Origin with it).
  const toTarget = (headers) => ({ ...headers, host: target.host, 'x-forwarded-host': headers.host, 'x-forwarded-proto': 'http' });
  let bytesIn = 0;
  let refused = 0;
  /** When set: the connection is destroyed once this many body bytes passed in total (a dropped connection). */
  let cutAt = null;
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.limit) {
      refused++;
      res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('413 Request Entity Too Large\n');
      req.resume();
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: toTarget(req.headers) },
      (up) => {
        res.writeHead(up.statusCode || 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    let seen = 0;
    req.on('data', (chunk) => {
      seen += chunk.length;
      if (seen > opts.limit) {
        refused++;
        req.destroy();
        upstream.destroy();
        return;
      }
      bytesIn += chunk.length;
      const more = upstream.write(chunk);
      if (cutAt !== null && bytesIn >= cutAt) {
        // The client's connection drops here; what was passed on still reaches the app, then its connection closes.
        cutAt = null;
        req.socket.destroy();
        upstream.end();
        upstream.once('finish', () => upstream.destroy());
        return;
      }
      // Back-pressure: never more in flight than the sockets hold (a cut then loses little, as with nginx).
      if (!more) {
        req.pause();
        upstream.once('drain', () => req.resume());
      }
    });
    req.on('end', () => upstream.end());
    req.on('error', () => upstream.destroy());
  });
  // WebSockets (the admin's app status) pass through untouched.
  server.on('upgrade', (req, socket, head) => {
    const up = net.connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (const [k, v] of Object.entries(toTarget(req.headers))) lines.push(`${k}: ${v}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head?.length) up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(opts.port || 0, '127.0.0.1', () => {
      const port = server.address().port;
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        bytesIn: () => bytesIn,
        refused: () => refused,
        reset: () => {
          bytesIn = 0;
          refused = 0;
        },
        cutAfter: (n) => {
          cutAt = bytesIn + n;
        },
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

module.exports = { startSmallBodyProxy };
