import { offsiteEncryption } from '../offsiteEncryption';

const base = {
  enabled: true,
  offsiteStorage: 's3',
  hasPassword: false,
  password: '',
  clearPassword: false,
  offsiteUnencrypted: false,
};

describe('offsiteEncryption (schedule tab)', () => {
  it('asks for a password by default when scheduled backups are copied off-site', () => {
    expect(offsiteEncryption(base)).toEqual({ plain: true, passwordRequired: true });
  });

  it('is satisfied by a stored or a new password', () => {
    expect(offsiteEncryption({ ...base, hasPassword: true })).toEqual({ plain: false, passwordRequired: false });
    expect(offsiteEncryption({ ...base, password: 'x' })).toEqual({ plain: false, passwordRequired: false });
  });

  it('warns while archives go off-site in the clear, also when that was chosen', () => {
    expect(offsiteEncryption({ ...base, offsiteUnencrypted: true })).toEqual({ plain: true, passwordRequired: false });
    expect(offsiteEncryption({ ...base, hasPassword: true, clearPassword: true })).toEqual({
      plain: true,
      passwordRequired: true,
    });
    expect(offsiteEncryption({ ...base, enabled: false })).toEqual({ plain: true, passwordRequired: false });
  });

  it('says nothing without an off-site storage', () => {
    expect(offsiteEncryption({ ...base, offsiteStorage: null })).toEqual({ plain: false, passwordRequired: false });
  });
});
