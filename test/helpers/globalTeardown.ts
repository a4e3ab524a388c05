import type { RunningAzurite } from '../../local/azurite';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __wardenAzurite?: RunningAzurite }).__wardenAzurite?.close();
}
