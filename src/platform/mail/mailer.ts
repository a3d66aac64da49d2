/**
 * The mail port. Embedded: each message is logged (without its body, which may hold a token)
 * and stored in `platform.mail_outbox`. Real: SMTP through nodemailer when SMTP_URL is set
 * (smtp-mailer.ts, loaded only then).
 */
import { desc, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { newId } from '../ids.js';
import { mailOutbox } from './tables.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Stores messages in the outbox table and logs that they were sent. */
export function createOutboxMailer(options: { db: Db; log: Logger; clock: Clock }): Mailer {
  return {
    async send(message) {
      const id = newId();
      await options.db.insert(mailOutbox).values({ id, ...message, createdAt: options.clock.now() });
      options.log.info({ mailId: id, to: message.to, subject: message.subject }, 'mail stored in platform.mail_outbox');
    },
  };
}

/** The newest outbox messages to one address (operators and tests read mail this way). */
export async function readOutbox(db: Db, to: string, limit = 10) {
  return db.select().from(mailOutbox).where(eq(mailOutbox.to, to)).orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id)).limit(limit);
}
