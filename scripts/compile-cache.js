// `npm test` only (scripts/test.js preloads this file into every Node process of the run through NODE_OPTIONS, with
// BM_COMPILE_CACHE naming a folder): V8's compiled code of every module under node_modules, kept on disk between
// processes. The run starts NocoBase about a hundred times, and each start compiles the same 78 plugins' code (about
// 2 s of a slow machine's CPU in `wrapSafe` alone, from a profile of one start). Node 20 has no built-in cache
// (module.enableCompileCache came with Node 22). A module whose path or source changed gets another key (their
// SHA-1), so a stale entry is never used; V8 itself rejects data from another V8 version or flags, and the module is
// then compiled as without the cache.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const dir = process.env.BM_COMPILE_CACHE;
if (dir) install(dir);

function install(dir) {
  fs.mkdirSync(dir, { recursive: true });
  /** Scripts compiled without usable data: their data is written at exit, with the functions run by then. */
  const toWrite = new Map();
  const compile = Module.prototype._compile;
  Module.prototype._compile = function cachedCompile(content, filename, format) {
    // ES modules that require() loads (Node 20.19+ passes their format) and files outside node_modules: as without.
    if (format === 'module' || !filename.includes(`${path.sep}node_modules${path.sep}`)) return compile.apply(this, arguments);
    // A dynamic import() in code read back from V8's cache fails on Node 20 (npm and a NocoBase data source's backup
    // did, with the cache warm only): such modules are compiled as without it.
    if (content.includes('import(')) return compile.apply(this, arguments);
    // The path is part of the key: V8's data carries the script's name into stack traces, which some packages read
    // to find their own folder (bindings, for sqlite3's native file); one copy of a package must not pass for another.
    const key = crypto.createHash('sha1').update(filename).update('\0').update(content).digest('hex');
    const file = path.join(dir, `${key}.bin`);
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    // A hashbang is valid only at the very start of a script; inside the wrapper it becomes a comment.
    const source = content.startsWith('#!') ? `//${content.slice(2)}` : content;
    let script;
    try {
      script = new vm.Script(Module.wrap(source), { filename, cachedData });
    } catch {
      // Not CommonJS (ES module syntax in a .js file): Node's loader decides what it is, and reports its errors.
      return compile.apply(this, arguments);
    }
    if (!cachedData || script.cachedDataRejected) toWrite.set(file, script);
    const fn = script.runInThisContext({ displayErrors: true });
    return fn.call(this.exports, this.exports, requireOf(this), this, filename, path.dirname(filename));
  };
  process.once('exit', () => {
    for (const [file, script] of toWrite) {
      try {
        const tmp = `${file}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
      } catch {
        /* a cache entry is an optimisation */
      }
    }
  });
}

/** The `require` Node gives a module (lib/internal/modules/helpers.js makeRequireFunction), from public APIs. */
function requireOf(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}
