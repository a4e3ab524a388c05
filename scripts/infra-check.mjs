// npm run infra:check: the real Bicep compiler and its linter over every template in infra/, with the
// rules of infra/bicepconfig.json. Fails on any error or warning (a warning is an unknown resource type,
// api-version or property, or a linter rule broken), and prints the Bicep version and the files checked.
//   node scripts/infra-check.mjs                 installs the CLI first when it is missing (scripts/bicep.sh)
//   node scripts/infra-check.mjs --if-installed  checks only where the CLI is installed, else says it skipped
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ifInstalled = process.argv.includes('--if-installed');
const say = (line) => console.log(`infra:check: ${line}`);

const installed = spawnSync('bash', ['scripts/bicep.sh', '--path'], { encoding: 'utf8' });
if (installed.status !== 0 && ifInstalled) {
  say(
    'SKIPPED: the Bicep CLI is not installed here; `npm run infra:check` installs it from NuGet and runs it',
  );
  process.exit(0);
}

/** Runs the CLI (installing it if needed); returns its exit status and everything it printed. */
function bicep(...args) {
  const r = spawnSync('bash', ['scripts/bicep.sh', ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

const version = bicep('--version');
if (version.status !== 0) {
  process.stderr.write(version.output);
  say('FAILED: the Bicep CLI could not be installed or run');
  process.exit(1);
}
say(
  version.output
    .trim()
    .split('\n')
    .find((l) => l.startsWith('Bicep CLI')) ?? version.output.trim(),
);

const files = readdirSync('infra', { recursive: true })
  .filter((f) => f.endsWith('.bicep'))
  .map((f) => join('infra', f))
  .sort();
say(`checking ${files.length} files: ${files.join(', ')}`);

const out = mkdtempSync(join(tmpdir(), 'warden-bicep-'));
const runs = [
  { what: 'build', ...bicep('build', '--pattern', 'infra/**/*.bicep', '--outdir', out) },
  { what: 'lint', ...bicep('lint', '--pattern', 'infra/**/*.bicep') },
];
rmSync(out, { recursive: true, force: true });

// `path(line,col) : Error|Warning|Info code: message`; a module's diagnostics repeat under each file
// that uses it, so each is counted once.
const DIAGNOSTIC = /^(.+)\((\d+),(\d+)\) : (Error|Warning|Info) ([\w-]+): (.*)$/;
const diagnostics = new Map();
for (const run of runs)
  for (const line of run.output.split('\n')) {
    const m = DIAGNOSTIC.exec(line.trim());
    if (m) diagnostics.set(line.trim().replace(`${process.cwd()}/`, ''), m[4]);
  }
for (const line of diagnostics.keys()) console.log(line);
const count = (level) => [...diagnostics.values()].filter((l) => l === level).length;
const errors = count('Error');
const warnings = count('Warning');
const failedRuns = runs.filter((r) => r.status !== 0);
for (const r of failedRuns)
  if (errors === 0) process.stderr.write(`bicep ${r.what} exited ${r.status}:\n${r.output}\n`);
say(`bicep build and bicep lint: ${errors} errors, ${warnings} warnings`);
if (errors > 0 || warnings > 0 || failedRuns.length > 0) {
  say('FAILED');
  process.exit(1);
}
