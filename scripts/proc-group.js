// The processes of one process group, read from /proc: the harness waits for a stopped server's group to be gone,
// the benchmark sums its memory.
const fs = require('fs');

function pidsOfGroup(pgid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, pgrp, ...
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]) === pgid) out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

module.exports = { pidsOfGroup };
