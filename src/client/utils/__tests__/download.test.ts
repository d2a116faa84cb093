import { apiUrl } from '../download';

describe('apiUrl', () => {
  const page = 'https://nb.example.com/admin/settings/backups-manager';
  it('joins the link to the API base of the page, of a sub-application, or of another origin', () => {
    expect(apiUrl('backupsManagerTasks:signedDownload?filterByTk=1&sig=a', '/api/', page)).toBe(
      'https://nb.example.com/api/backupsManagerTasks:signedDownload?filterByTk=1&sig=a',
    );
    expect(apiUrl('backupsManagerTasks:signedDownload?x=1', '/api', page)).toBe('https://nb.example.com/api/backupsManagerTasks:signedDownload?x=1');
    expect(apiUrl('t:a', '/nb/api/__app/sub1/', page)).toBe('https://nb.example.com/nb/api/__app/sub1/t:a');
    expect(apiUrl('t:a', 'https://api.example.com/api/', page)).toBe('https://api.example.com/api/t:a');
    expect(apiUrl('t:a', undefined, page)).toBe('https://nb.example.com/api/t:a');
  });
});
