// Outside the Functions worker, @azure/functions warns once per registration that it runs in test
// mode. That is expected in handler tests; everything else still reaches the console.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /"@azure\/functions" package (is in|to) test mode/.test(args[0])) return;
  warn(...args);
};
