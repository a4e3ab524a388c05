import nodeHeap from '../infra/app/nodeHeap.json';

/** The smallest Flex Consumption instance: the memory every invocation of the scale bench must fit. */
export const INSTANCE_MB = 512;

/**
 * The node flags infra starts the worker with on that instance (infra/app/nodeHeap.json, set as
 * `languageWorkers__node__arguments`): what the bench's invocations run with, so their peak RSS is
 * what such an instance would show, not what V8 lets garbage grow to under this machine's default.
 */
export const INSTANCE_NODE_FLAGS: readonly string[] = [
  `--max-old-space-size=${nodeHeap.oldSpaceMB[String(INSTANCE_MB) as keyof typeof nodeHeap.oldSpaceMB]}`,
];
