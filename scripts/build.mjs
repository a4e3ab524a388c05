// Builds Warden with esbuild.
//   node scripts/build.mjs          the deployment bundle: dist/app/index.js (all dependencies inlined)
//   node scripts/build.mjs --local  the local runtime: dist/local/*.js (dependencies from node_modules)
import { build } from 'esbuild';

const local = process.argv.includes('--local');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

if (local) {
  await build({
    ...common,
    entryPoints: {
      'local/start': 'local/start.ts',
      'local/functions': 'functions/index.ts',
      'bench/run': 'bench/run.ts',
    },
    outdir: 'dist',
    packages: 'external',
  });
} else {
  // @azure/functions-core is injected by the Functions worker; it is not on npm.
  await build({
    ...common,
    entryPoints: { index: 'functions/index.ts' },
    outdir: 'dist/app',
    external: ['@azure/functions-core'],
    minify: true,
  });
}
