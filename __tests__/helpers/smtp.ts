import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait-for';

/** One e-mail as the server received it: the envelope and the parsed message. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  user?: string;
}

export interface LocalSmtp {
  port: number;
  mails: ReceivedMail[];
  /** Resolves with the first mail `match` accepts (already received or still to come). */
  waitForMail(match: (m: ReceivedMail) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export const SMTP_LOGIN = { account: 'alerts', password: 'smtp-secret' };

/**
 * A real SMTP server (smtp-server, by nodemailer's authors) on a loopback port, with a login; it keeps what it
 * receives. STARTTLS is off so NocoBase's nodemailer talks plain SMTP to it, as to a relay on the same host.
 */
export async function startSmtp(port: number): Promise<LocalSmtp> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_LOGIN.account && auth.password === SMTP_LOGIN.password) return callback(null, { user: auth.username });
      return callback(new Error('Invalid login'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject || '',
            text: parsed.text || '',
            user: session.user as string | undefined,
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    mails,
    waitForMail: (match, timeoutMs = 60000, what = 'an e-mail') =>
      waitFor(async () => mails.find(match), { timeoutMs, intervalMs: 250, what }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
