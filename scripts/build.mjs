// Builds Warden with esbuild.
//   node scripts/build.mjs          the deployment bundle: dist/app/index.js (all dependencies inlined),
//                                   packaged with host.json in dist/deploy/ (what `azd deploy` ships)
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
    },
    outdir: 'dist',
    packages: 'external',
  });
} else {
  // @azure/functions-core is injected by the Functions worker; it is not on npm.
  await build({
    ...common,
    entryPoints: { index: 'functions/index.ts' },
    outdir: `${outRoot}/app`,
    external: ['@azure/functions-core'],
    minify: true,
  });
  await writeDeployPackage();
}

/**
 * dist/deploy/: the folder `azd deploy` zips and ships (azure.yaml `dist`). The bundle, host.json
 * and a package.json whose main is the bundle, with no dependencies: a cold start reads one file.
 */
async function writeDeployPackage() {
  const { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const out = `${outRoot}/deploy`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyFileSync(`${outRoot}/app/index.js`, `${out}/index.js`);
  copyFileSync(`${outRoot}/app/index.js.map`, `${out}/index.js.map`);
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
}
