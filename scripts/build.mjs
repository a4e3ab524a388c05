// Builds Warden with esbuild.
//   node scripts/build.mjs          the deployment package dist/deploy/ (what `azd deploy` ships): the app
//                                   bundle app.js (all dependencies inlined), its V8 code caches and the
//                                   entry point index.js that loads the one with the other
//                                   (scripts/deployEntry.ts), with host.json and a package.json
//   node scripts/build.mjs --local  the local runtime: dist/local/*.js (dependencies from node_modules)
//   --out DIR                       write the deployment bundle under DIR instead of dist (tests use a
//                                   private folder, so parallel runs in one tree do not race)
import { build } from 'esbuild';

const local = process.argv.includes('--local');
const outFlag = process.argv.indexOf('--out');
const outRoot = outFlag > 0 && process.argv[outFlag + 1] ? process.argv[outFlag + 1] : 'dist';
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
      'bench/azuriteChild': 'bench/azuriteChild.ts',
      'bench/scaleSim': 'bench/scaleSim.ts',
      'bench/scaleInvocation': 'bench/scaleInvocation.ts',
    },
    outdir: 'dist',
    packages: 'external',
  });
} else {
  await writeDeployPackage();
}

/**
 * dist/deploy/: the folder `azd deploy` zips and ships (azure.yaml `dist`). No dependencies: a cold
 * start reads the entry point, the bundle and the code cache the entry point hands V8.
 */
async function writeDeployPackage() {
  const { execFileSync } = await import('node:child_process');
  const { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const out = `${outRoot}/deploy`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // @azure/functions-core is injected by the Functions worker; it is not on npm.
  await build({
    ...common,
    entryPoints: { app: 'functions/index.ts' },
    outdir: out,
    external: ['@azure/functions-core'],
    minify: true,
  });
  await build({ ...common, entryPoints: { index: 'scripts/deployEntry.ts' }, outdir: out, sourcemap: false });
  copyFileSync('host.json', `${out}/host.json`);
  const root = JSON.parse(readFileSync('package.json', 'utf8'));
  const pkg = {
    name: root.name,
    version: root.version,
    private: true,
    description: 'AKS Upgrade Warden: the deployment bundle (built by scripts/build.mjs; do not edit).',
    main: 'index.js',
    engines: root.engines,
  };
  writeFileSync(`${out}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
  // The code caches for this Node's V8 (loading the app once, with a stand-in for the worker): one
  // without flags, and one for each old-space size infra starts the worker with (V8 takes a cache
  // only from a node started with the same flags).
  const { oldSpaceMB } = JSON.parse(readFileSync('infra/app/nodeHeap.json', 'utf8'));
  for (const flags of [[], ...Object.values(oldSpaceMB).map((mb) => [`--max-old-space-size=${mb}`])]) {
    execFileSync(process.execPath, [...flags, `${out}/index.js`, '--write-code-cache'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, WARDEN_LOG: 'quiet' },
    });
  }
}
