import { execSync } from 'child_process';
import { startRealApp } from '../helpers/real-app';
jest.setTimeout(600000);
it('debug', async () => {
  const app = await startRealApp({ name: 'bad', port: 13126 });
  try {
    for (const name of ['../x', '../../../../etc/passwd']) {
      const q = encodeURIComponent(name);
      for (const [p, init] of [[`backupsManagerTasks:download?filterByTk=${q}`, {}], [`backupsManagerTasks:destroy?filterByTk=${q}`, { method: 'POST' }], [`backupsManagerTasks:restore?filterByTk=${q}`, { method: 'POST', body: {} }], [`backupsManagerTasks:restore`, { body: { taskId: name } }]] as any[]) {
        const r = await app.api(p, init);
        console.log(name, p, r.status, JSON.stringify(r.body));
      }
    }
    await new Promise((res) => setTimeout(res, 2000));
    console.log(execSync(`ls -R ${app.storage}/logs; grep -rh "invalid input" ${app.storage}/logs | head -3 | cut -c1-6000`).toString());
  } finally {
    await app.stop();
  }
});
