// The live processes of one process group, read from /proc: the harness waits for a stopped server's group to be
// gone, the benchmark sums its memory. A zombie has ended (no memory, no socket, no file lock) and is not counted:
// the server's processes are reparented to PID 1 when the CLI in front of them exits first, and PID 1 on these
// machines reaps them only every second or two, which every stop of a server waited for (1.6 s of each stop's 2.0).
const fs = require('fs');

function pidsOfGroup(pgid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, pgrp, ...
      const [state, , pgrp] = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

module.exports = { pidsOfGroup };
