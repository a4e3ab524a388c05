import type { TokenCredential } from '@azure/core-auth';
import { QueueClient } from '@azure/storage-queue';

import type { ShardMessage, ShardQueue } from '../usecases/sweepFleet';

/** The queue the sweep fans out on; `functions/sweepShard.ts` is its trigger. */
export const SWEEP_QUEUE = 'warden-sweep-shards';

export type QueueTarget =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly queueServiceUrl: string; readonly credential: TokenCredential };

/**
 * Sends shard messages to a Storage Queue as the Functions queue trigger reads them: base64 of the JSON
 * (the host's default `messageEncoding`). The queue is created on first use.
 */
export class StorageShardQueue implements ShardQueue {
  private ready: Promise<QueueClient> | undefined;

  constructor(
    private readonly target: QueueTarget,
    private readonly queueName: string = SWEEP_QUEUE,
  ) {}

  private client(): Promise<QueueClient> {
    this.ready ??= (async () => {
      const client =
        this.target.kind === 'connectionString'
          ? new QueueClient(this.target.connectionString, this.queueName)
          : new QueueClient(
              `${this.target.queueServiceUrl.replace(/\/+$/, '')}/${this.queueName}`,
              this.target.credential,
            );
      await client.createIfNotExists();
      return client;
    })().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  async send(messages: readonly ShardMessage[]): Promise<void> {
    const client = await this.client();
    for (let i = 0; i < messages.length; i += 16) {
      await Promise.all(
        messages
          .slice(i, i + 16)
          .map((m) => client.sendMessage(Buffer.from(JSON.stringify(m), 'utf8').toString('base64'))),
      );
    }
  }
}
