import { uploadEndpoint } from '../uploadEndpoint';

describe('uploadEndpoint', () => {
  it('is the API base plus backupsManagerUploads:tus, on the page origin', () => {
    expect(uploadEndpoint('/api/', 'http://127.0.0.1:8080/admin/settings/backups-manager')).toBe('http://127.0.0.1:8080/api/backupsManagerUploads:tus');
    expect(uploadEndpoint('/api', 'https://x.example/admin')).toBe('https://x.example/api/backupsManagerUploads:tus');
    expect(uploadEndpoint(undefined, 'https://x.example/admin')).toBe('https://x.example/api/backupsManagerUploads:tus');
    expect(uploadEndpoint('https://api.example/nocobase/api/', 'https://x.example/admin')).toBe('https://api.example/nocobase/api/backupsManagerUploads:tus');
  });
});
