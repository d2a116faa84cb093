/** What the schedule tab shows about the off-site copies of scheduled backups (the server refuses the same case). */
export function offsiteEncryption(v: {
  enabled?: boolean;
  offsiteStorage?: string | null;
  /** A password is stored now. */
  hasPassword: boolean;
  /** Typed in the form. */
  password?: string;
  clearPassword?: boolean;
  offsiteUnencrypted?: boolean;
}): { plain: boolean; passwordRequired: boolean } {
  const encrypted = !!v.password || (v.hasPassword && !v.clearPassword);
  const plain = !!v.offsiteStorage && !encrypted;
  // Encryption by default: an enabled schedule with an off-site copy needs a password unless plain copies were chosen.
  return { plain, passwordRequired: plain && !!v.enabled && !v.offsiteUnencrypted };
}
