import pg from "pg";
import { createSmtpMailer } from "../../src/adapters/mail/smtp.js";
import { appClient } from "./accounts.js";
import { startTestApp, type TestApp } from "./app.js";
import { startSmtpServer, type TestSmtpServer } from "./smtp-server.js";

export interface MailTestApp {
  t: TestApp;
  api: ReturnType<typeof appClient>;
  smtp: TestSmtpServer;
  /** A connection to the app's database, for checks the API does not show. */
  db: pg.Client;
  /** Moves the app's clock (past a token's expiry, say); 0 puts it back. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** The app with a real SMTP server receiving its mail, on tenants "acme" and "other". */
export async function startMailTestApp(): Promise<MailTestApp> {
  const smtp = await startSmtpServer();
  const mailer = createSmtpMailer(smtp.url, "Acme Accounts <accounts@acme.test>");
  let offsetMs = 0;
  const t = await startTestApp({ mailer, clock: { now: () => new Date(Date.now() + offsetMs) } });
  const api = appClient(t);
  const db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("acme");
  await api.createTenant("other");
  return {
    t,
    api,
    smtp,
    db,
    advance: (ms) => {
      offsetMs = ms;
    },
    async close() {
      await db.end();
      await t.close();
      // Its pooled connections would hold the server's close for its idle timeout.
      mailer.close();
      await smtp.close();
    },
  };
}
