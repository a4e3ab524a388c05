/** The logging port: `InvocationContext` satisfies it in Azure, the console locally. */
export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export const consoleLogger: Logger = {
  info: (...args) => console.log(...args),
  warn: (...args) => console.warn(...args),
  error: (...args) => console.error(...args),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
