/** The real mail adapter: SMTP through nodemailer (SMTP_URL). */
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Mailer } from './mailer.js';

/** Sends through an SMTP server. */
export function createSmtpMailer(options: { url: string; from: string; log: Logger }): Mailer {
  const transport = nodemailer.createTransport(options.url);
  return {
    async send(message) {
      const info = await transport.sendMail({ from: options.from, ...message });
      options.log.info({ messageId: info.messageId, to: message.to, subject: message.subject }, 'mail sent');
    },
  };
}
