import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { QueueClient } from '@azure/storage-queue';
import { QueueServiceClient } from '@azure/storage-queue';

import type { Registration } from './functionsCore';

/**
 * Runs storage-queue triggers (`app.storageQueue`) locally the way the Functions host does: polls the
 * queue named in the binding on the account of its `connection` setting, hands each message to the
 * function as the parsed JSON of its base64 text (the host's default `messageEncoding`), deletes it on
 * success, makes it visible again after a failure, and after host.json `queues.maxDequeueCount`
 * attempts (default 5) moves it to `<queue>-poison`.
 */
export interface QueuePollerOptions {
  readonly registrations: readonly Registration[];
  readonly run: (name: string, input: unknown) => Promise<unknown>;
  readonly log: (line: string) => void;
  /** Settings the `connection` names are looked up in (process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly maxDequeueCount?: number;
}

export interface RunningPollers {
  /**
   * Stops polling and waits for the messages being handled, at most `graceMs` (default
   * {@link STOP_GRACE_MS}): a message still running then keeps its lease and is received again when
   * the lease ends, as the Functions host does with executions cut short by a shutdown.
   */
  close(graceMs?: number): Promise<void>;
}

/** How long a stop waits for the messages in hand. */
export const STOP_GRACE_MS = 5_000;

/** How long a received message stays hidden while its function runs (the host uses the function timeout). */
const LEASE_SECONDS = 5 * 60;
/** Delay before a failed message is offered again (host.json `queues.visibilityTimeout`; 0 there, 1 s here). */
const RETRY_SECONDS = 1;
const BATCH = 16;
const MIN_IDLE_MS = 100;
const MAX_IDLE_MS = 1_000;

function hostMaxDequeueCount(): number {
  try {
    const host = JSON.parse(readFileSync(resolve(process.cwd(), 'host.json'), 'utf8')) as {
      extensions?: { queues?: { maxDequeueCount?: unknown } };
    };
    const n = host.extensions?.queues?.maxDequeueCount;
    return typeof n === 'number' && n > 0 ? n : 5;
  } catch {
    return 5;
  }
}

function decode(text: string): unknown {
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64').toString('utf8') : text;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function startQueuePollers(options: QueuePollerOptions): RunningPollers {
  const env = options.env ?? process.env;
  const maxDequeueCount = options.maxDequeueCount ?? hostMaxDequeueCount();
  let closed = false;
  const loops: Promise<void>[] = [];

  for (const r of options.registrations.filter((x) => x.trigger.type === 'queueTrigger')) {
    const setting = r.trigger.connection ?? 'AzureWebJobsStorage';
    const connectionString = env[setting] ?? env[`${setting}__connectionString`];
    const queueName = r.trigger.queueName ?? '';
    if (
      connectionString === undefined ||
      !/QueueEndpoint=|UseDevelopmentStorage=true|AccountName=/i.test(connectionString)
    ) {
      options.log(`queue ${r.name}: no connection string in ${setting}; not polling ${queueName}`);
      continue;
    }
    const service = QueueServiceClient.fromConnectionString(connectionString);
    const queue = service.getQueueClient(queueName);
    const poison = service.getQueueClient(`${queueName}-poison`);
    loops.push(pollLoop(r.name, queue, poison));
  }

  async function handle(
    name: string,
    queue: QueueClient,
    poison: QueueClient,
    m: {
      messageId: string;
      popReceipt: string;
      messageText: string;
      dequeueCount: number;
    },
  ): Promise<void> {
    try {
      await options.run(name, decode(m.messageText));
      await queue.deleteMessage(m.messageId, m.popReceipt);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      if (m.dequeueCount >= maxDequeueCount) {
        options.log(
          `queue ${name}: message ${m.messageId} failed ${m.dequeueCount} times, moved to ${poison.name}: ${reason}`,
        );
        await poison.createIfNotExists();
        await poison.sendMessage(m.messageText);
        await queue.deleteMessage(m.messageId, m.popReceipt);
      } else {
        options.log(
          `queue ${name}: message ${m.messageId} failed (attempt ${m.dequeueCount}), retried: ${reason}`,
        );
        await queue.updateMessage(m.messageId, m.popReceipt, undefined, RETRY_SECONDS);
      }
    }
  }

  async function pollLoop(name: string, queue: QueueClient, poison: QueueClient): Promise<void> {
    let idle = MIN_IDLE_MS;
    let created = false;
    while (!closed) {
      try {
        if (!created) {
          await queue.createIfNotExists();
          created = true;
        }
        const { receivedMessageItems } = await queue.receiveMessages({
          numberOfMessages: BATCH,
          visibilityTimeout: LEASE_SECONDS,
        });
        if (receivedMessageItems.length > 0) {
          idle = MIN_IDLE_MS;
          await Promise.all(receivedMessageItems.map((m) => handle(name, queue, poison, m)));
          continue;
        }
      } catch (e) {
        if (closed) return;
        options.log(`queue ${name}: polling failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      await new Promise((r) => setTimeout(r, idle).unref());
      idle = Math.min(MAX_IDLE_MS, idle * 2);
    }
  }

  return {
    async close(graceMs = STOP_GRACE_MS) {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.allSettled(loops).then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!finished)
        options.log(
          `queues: messages still running after ${graceMs / 1000} s; they are received again when their lease ends`,
        );
    },
  };
}
