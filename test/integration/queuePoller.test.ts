import { randomBytes } from 'node:crypto';

import { QueueClient } from '@azure/storage-queue';

import type { Registration } from '../../local/functionsCore';
import { startQueuePollers } from '../../local/queuePoller';
import { waitFor } from '../helpers/waitFor';

/**
 * The local host's storage-queue trigger (local/queuePoller.ts) on Azurite: base64 JSON in, deleted on
 * success, retried on failure, moved to `<queue>-poison` after maxDequeueCount attempts.
 */
const connectionString = (): string => {
  const cs = process.env.WARDEN_TEST_STORAGE;
  if (cs === undefined) throw new Error('WARDEN_TEST_STORAGE is not set: run through jest');
  return cs;
};

function registration(queueName: string, handler: (input: unknown) => unknown): Registration {
  return {
    name: 'shard',
    trigger: { type: 'queueTrigger', direction: 'in', queueName, connection: 'TestStorage' },
    handler: (input: unknown) => handler(input),
  };
}

async function setup(handler: (input: unknown) => unknown, log: (line: string) => void = () => {}) {
  const queueName = `q${randomBytes(6).toString('hex')}`;
  const queue = new QueueClient(connectionString(), queueName);
  await queue.createIfNotExists();
  const reg = registration(queueName, handler);
  const pollers = startQueuePollers({
    registrations: [reg],
    run: (_name, input) => Promise.resolve().then(() => reg.handler(input)),
    log,
    env: { TestStorage: connectionString() },
    maxDequeueCount: 2,
  });
  return { queue, poison: new QueueClient(connectionString(), `${queueName}-poison`), pollers };
}

describe('local storage-queue trigger', () => {
  it('hands the function the JSON of a base64 message and deletes it on success', async () => {
    const seen: unknown[] = [];
    const { queue, pollers } = await setup((input) => seen.push(input));
    await queue.sendMessage(Buffer.from(JSON.stringify({ hello: 'shard' })).toString('base64'));
    await waitFor(
      () => Promise.resolve(seen.length),
      (n) => n === 1,
      { what: 'the message handled' },
    );
    expect(seen).toEqual([{ hello: 'shard' }]);
    await waitFor(
      async () => (await queue.getProperties()).approximateMessagesCount,
      (n) => n === 0,
      { what: 'the message deleted' },
    );
    await pollers.close();
  });

  it('retries a failing message, then moves it to the poison queue after maxDequeueCount', async () => {
    let attempts = 0;
    const { queue, poison, pollers } = await setup(() => {
      attempts++;
      throw new Error('boom');
    });
    const text = Buffer.from(JSON.stringify({ n: 1 })).toString('base64');
    await queue.sendMessage(text);
    await waitFor(
      async () => ((await poison.exists()) ? (await poison.peekMessages()).peekedMessageItems.length : 0),
      (n) => n === 1,
      { what: 'the message in the poison queue' },
    );
    expect(attempts).toBe(2);
    expect((await poison.peekMessages()).peekedMessageItems[0]?.messageText).toBe(text);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    await pollers.close();
  });

  it('stops within its grace while a message still runs, which keeps its lease to be received again', async () => {
    const lines: string[] = [];
    let release: () => void = () => {};
    const { queue, pollers } = await setup(
      () => new Promise<void>((r) => (release = r)),
      (line) => lines.push(line),
    );
    await queue.sendMessage(Buffer.from(JSON.stringify({ slow: true })).toString('base64'));
    await waitFor(
      async () => (await queue.getProperties()).approximateMessagesCount,
      (n) => n === 1,
      { what: 'the message queued' },
    );
    await waitFor(
      async () => (await queue.peekMessages()).peekedMessageItems.length,
      (n) => n === 0,
      { what: 'the message received (hidden by its lease)' },
    );
    await pollers.close(200);
    expect(lines).toEqual([expect.stringContaining('received again when their lease ends')]);
    // Not deleted: it is still in the queue, leased, for the next host to receive.
    expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
    release();
  });
});
