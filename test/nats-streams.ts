/** Private JetStream streams for tests that run apps on the real NATS: one per app, deleted after. */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export const natsUrl = process.env.TEST_NATS_URL || undefined;

export function privateStreams() {
  const streams: string[] = [];
  return {
    /** The NATS settings of an app on a new stream of its own. */
    env(): { NATS_URL: string; NATS_STREAM: string } {
      const stream = `TEST_${randomBytes(6).toString('hex')}`;
      streams.push(stream);
      return { NATS_URL: natsUrl as string, NATS_STREAM: stream };
    },
    /** Deletes the streams made so far. */
    async deleteAll(): Promise<void> {
      if (!natsUrl || !streams.length) return;
      const nc = await connect({ servers: natsUrl });
      const jsm = await jetstreamManager(nc);
      for (const stream of streams.splice(0)) await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    },
  };
}
