import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { customRoleOf, describeCompiled, infraDir } from '../helpers/bicep';

/**
 * infra/onboard.sh and the azd hooks, run with stand-ins for `azd` and `az` on PATH that record
 * their arguments and keep the azd environment in a file: what the scripts would do to Azure.
 */

const CLUSTER =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu-1';
const OTHER =
  '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg-stg/providers/Microsoft.ContainerService/managedClusters/stg-weu-1';

const FAKE_AZD = `#!/bin/sh
echo "azd $*" >>"$FAKE_LOG"
if [ "$1 $2" = "env get-value" ]; then
  line=$(grep "^$3=" "$FAKE_ENV") || exit 1
  printf '%s\\n' "\${line#*=}"
elif [ "$1 $2" = "env set" ]; then
  grep -v "^$3=" "$FAKE_ENV" >"$FAKE_ENV.tmp" || true
  printf '%s=%s\\n' "$3" "$4" >>"$FAKE_ENV.tmp"
  mv "$FAKE_ENV.tmp" "$FAKE_ENV"
fi
`;

const FAKE_AZ = `#!/bin/sh
echo "az $*" >>"$FAKE_LOG"
case "$1 $2" in
"account show") echo 00000000-0000-0000-0000-00000000000a ;;
"eventgrid system-topic") cat "$FAKE_TOPICS" 2>/dev/null ;;
"resource show") case "$*" in *providers/Microsoft.EventGrid/*) echo '{"type":"SystemAssigned","principalId":"x"}' ;; *) echo '{"environment":"production"}' ;; esac ;;
"rest --method") for a in "$@"; do case "$a" in @*) cat "\${a#@}" >>"$FAKE_PATCH"; echo >>"$FAKE_PATCH" ;; esac; done ;;
"role definition")
  for a in "$@"; do case "$a" in @*) cat "\${a#@}" >>"$FAKE_ROLE"; echo "---" >>"$FAKE_ROLE" ;; esac; done ;;
"ad app")
  case "$3" in
  show) echo 0b0b0b0b-0000-0000-0000-00000000app1 ;;
  federated-credential) if [ "$4" = "create" ]; then for a in "$@"; do case "$a" in @*) cp "\${a#@}" "$FAKE_FIC" ;; esac; done; fi ;;
  esac ;;
"keyvault secret")
  if [ "$3" = "list" ]; then cat "$FAKE_SECRETS" 2>/dev/null; fi
  if [ "$3" = "set" ]; then
    while [ $# -gt 0 ]; do [ "$1" = "--file" ] && cp "$2" "$FAKE_KEY"; shift; done
    echo warden-approval-keys >"$FAKE_SECRETS"
  fi ;;
esac
`;

interface Sandbox {
  readonly dir: string;
  run(script: string, args: string[], env?: Record<string, string>): { out: string; status: number };
  log(): string[];
  env(): Record<string, string>;
  file(name: string): string;
}

function sandbox(initialEnv: Record<string, string>): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'warden-onboard-'));
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  for (const [name, text] of [
    ['azd', FAKE_AZD],
    ['az', FAKE_AZ],
  ] as const) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(
    join(dir, 'env'),
    Object.entries(initialEnv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  writeFileSync(join(dir, 'log'), '');
  const vars = {
    FAKE_LOG: join(dir, 'log'),
    FAKE_ENV: join(dir, 'env'),
    FAKE_ROLE: join(dir, 'role.json'),
    FAKE_KEY: join(dir, 'key'),
    FAKE_SECRETS: join(dir, 'secrets'),
    FAKE_TOPICS: join(dir, 'topics'),
    FAKE_PATCH: join(dir, 'patch.json'),
    FAKE_FIC: join(dir, 'fic.json'),
  };
  return {
    dir,
    run(script, args, env = {}) {
      try {
        const out = execFileSync('sh', [join(infraDir, script), ...args], {
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, ...vars, ...env, PATH: `${bin}:${process.env.PATH ?? ''}` },
        });
        return { out, status: 0 };
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; status?: number };
        return { out: `${err.stdout ?? ''}${err.stderr ?? ''}`, status: err.status ?? 1 };
      }
    },
    log: () => readFileSync(vars.FAKE_LOG, 'utf8').split('\n').filter(Boolean),
    env: () =>
      Object.fromEntries(
        readFileSync(vars.FAKE_ENV, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ),
    file: (name) => readFileSync(join(dir, name), 'utf8'),
  };
}

const boxes: Sandbox[] = [];
const box = (env: Record<string, string> = {}) => {
  const b = sandbox(env);
  boxes.push(b);
  return b;
};
afterAll(() => boxes.forEach((b) => rmSync(b.dir, { recursive: true, force: true })));

describe('infra/onboard.sh', () => {
  it('cluster: appends the ids once to WARDEN_AKS_CLUSTER_IDS and provisions', () => {
    const b = box({ WARDEN_AKS_CLUSTER_IDS: CLUSTER });
    const r = b.run('onboard.sh', ['cluster', CLUSTER, OTHER]);
    expect(r.status).toBe(0);
    expect(r.out).toContain(`already onboarded: ${CLUSTER}`);
    expect(r.out).toContain("has no 'owner-email' tag");
    expect(b.env().WARDEN_AKS_CLUSTER_IDS).toBe(`${CLUSTER},${OTHER}`);
    expect(b.log()).toContain('azd provision --no-prompt');
  });

  it('cluster: subscribes to the system topic a cluster already has, adding the Event Grid identity to it', () => {
    const uai =
      '/subscriptions/s/resourceGroups/rg-warden/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-warden-eventgrid-x';
    const b = box({ WARDEN_EVENTGRID_IDENTITY_ID: uai });
    const lower = OTHER.replace(
      '/providers/Microsoft.ContainerService/managedClusters/',
      '/providers/microsoft.containerservice/managedclusters/',
    );
    const topicId =
      '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg-stg/providers/Microsoft.EventGrid/systemTopics/stg-weu-1-events';
    writeFileSync(join(b.dir, 'topics'), `${lower}\tstg-weu-1-events\t${topicId}\n`);
    expect(b.run('onboard.sh', ['cluster', CLUSTER, OTHER]).status).toBe(0);
    expect(b.env().WARDEN_AKS_CLUSTER_IDS).toBe(`${CLUSTER},${OTHER}|${topicId}`);
    // The topic keeps its own system identity and gains Warden's.
    expect(JSON.parse(b.file('patch.json'))).toEqual({
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [uai]: {} } },
    });
    expect(
      b
        .log()
        .some((l) => l.startsWith(`az rest --method patch --url ${topicId}?api-version=2022-06-15 --body @`)),
    ).toBe(true);
  });

  it('cluster: refuses what is not an AKS cluster id, before touching anything', () => {
    const b = box();
    const r = b.run('onboard.sh', [
      'cluster',
      '/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z',
    ]);
    expect(r.status).toBe(2);
    expect(r.out).toContain('not an AKS cluster resource id');
    expect(b.log().filter((l) => l.startsWith('azd provision'))).toEqual([]);
  });

  it("subscription: keeps Warden's own subscription when the list is first written", () => {
    const b = box();
    expect(b.run('onboard.sh', ['subscription', '00000000-0000-0000-0000-00000000000b']).status).toBe(0);
    expect(b.env().WARDEN_FLEET_SUBSCRIPTION_IDS).toBe(
      '00000000-0000-0000-0000-00000000000a,00000000-0000-0000-0000-00000000000b',
    );
  });

  it('network: appends the subscriptions once to WARDEN_NETWORK_SUBSCRIPTION_IDS and provisions', () => {
    const b = box({ WARDEN_NETWORK_SUBSCRIPTION_IDS: '00000000-0000-0000-0000-0000000000c1' });
    const r = b.run('onboard.sh', [
      'network',
      '00000000-0000-0000-0000-0000000000c1',
      '00000000-0000-0000-0000-0000000000c2',
    ]);
    expect(r.status).toBe(0);
    expect(r.out).toContain('already onboarded: 00000000-0000-0000-0000-0000000000c1');
    expect(b.env().WARDEN_NETWORK_SUBSCRIPTION_IDS).toBe(
      '00000000-0000-0000-0000-0000000000c1,00000000-0000-0000-0000-0000000000c2',
    );
    expect(b.log()).toContain('azd provision --no-prompt');
  });

  it('network: refuses what is not a subscription id, before touching anything', () => {
    const b = box();
    const r = b.run('onboard.sh', ['network', '/subscriptions/x/resourceGroups/hub']);
    expect(r.status).toBe(2);
    expect(b.log().filter((l) => !l.startsWith('azd env get-value'))).toEqual([]);
  });

  it('gate: turns AKS auto-upgrade off on each cluster', () => {
    const b = box();
    expect(b.run('onboard.sh', ['gate', CLUSTER]).status).toBe(0);
    expect(b.log()).toContain(`az aks update --ids ${CLUSTER} --auto-upgrade-channel none --output none`);
  });

  it('teams: the workflows file goes to Key Vault from the file, then the app setting points at it', () => {
    const b = box({ AZURE_KEY_VAULT_NAME: 'kv-test' });
    const file = join(b.dir, 'teams.json');
    writeFileSync(file, '{"platform": "https://example.com/workflows/1?sig=abc"}');
    expect(b.run('onboard.sh', ['teams', file]).status).toBe(0);
    expect(b.file('key')).toBe('{"platform": "https://example.com/workflows/1?sig=abc"}');
    expect(b.log().join('\n')).not.toContain('sig=abc');
    expect(b.log()).toContain(
      `az keyvault secret set --vault-name kv-test --name warden-teams-workflows --file ${file} --encoding utf-8 --content-type text/plain --output none`,
    );
    expect(b.env().WARDEN_TEAMS_IN_VAULT).toBe('true');
    expect(b.log()).toContain('azd provision --no-prompt');
  });

  it('teams: refuses a file that is not a JSON object of URLs', () => {
    const b = box({ AZURE_KEY_VAULT_NAME: 'kv-test' });
    const file = join(b.dir, 'teams.json');
    writeFileSync(file, '["https://example.com"]');
    expect(b.run('onboard.sh', ['teams', file]).status).toBe(2);
    expect(b.log().some((l) => l.includes('secret set'))).toBe(false);
  });

  it('webhook: sets the https URL and a new 32-byte signing secret in Key Vault', () => {
    const b = box({ AZURE_KEY_VAULT_NAME: 'kv-test' });
    expect(b.run('onboard.sh', ['webhook', 'http://hooks.example.com/x']).status).toBe(2);
    expect(b.run('onboard.sh', ['webhook', 'https://hooks.example.com/warden']).status).toBe(0);
    expect(Buffer.from(b.file('key'), 'base64url')).toHaveLength(32);
    expect(b.env()).toMatchObject({
      WARDEN_WEBHOOK_URL: 'https://hooks.example.com/warden',
      WARDEN_WEBHOOK_SECRET_IN_VAULT: 'true',
    });
  });

  it('policy: the document goes to Key Vault as warden-policy', () => {
    const b = box({ AZURE_KEY_VAULT_NAME: 'kv-test' });
    const file = join(b.dir, 'policy.yaml');
    writeFileSync(file, 'gatedRings: [production]\n');
    expect(b.run('onboard.sh', ['policy', file]).status).toBe(0);
    expect(b.log().some((l) => l.includes('--name warden-policy --file'))).toBe(true);
    expect(b.env().WARDEN_POLICY_IN_VAULT).toBe('true');
  });

  it('auth: the app registration gets the redirect URI, app roles, scope and a federated credential for the app identity', () => {
    const b = box({
      WARDEN_AUTH_CLIENT_ID: 'c1c1c1c1-0000-0000-0000-000000000001',
      SERVICE_WARDEN_BASE_URL: 'https://func-warden-x.azurewebsites.net',
      WARDEN_IDENTITY_PRINCIPAL_ID: 'p-1',
      AZURE_TENANT_ID: 't-1',
    });
    const r = b.run('onboard.sh', ['auth']);
    expect(r.out).toContain('sign-in ready');
    expect(r.status).toBe(0);
    const [first, second] = b
      .file('patch.json')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      identifierUris: ['api://c1c1c1c1-0000-0000-0000-000000000001'],
      web: { redirectUris: ['https://func-warden-x.azurewebsites.net/.auth/login/aad/callback'] },
      groupMembershipClaims: 'SecurityGroup',
      appRoles: [{ value: 'Warden.Viewer' }, { value: 'Warden.Operator' }],
      api: { oauth2PermissionScopes: [{ value: 'user_impersonation' }] },
    });
    expect(second).toMatchObject({
      api: {
        oauth2PermissionScopes: [{ value: 'user_impersonation' }],
        preAuthorizedApplications: [{ appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' }],
      },
    });
    expect(b.log().filter((l) => l.includes('graph.microsoft.com/v1.0/applications/0b0b0b0b-'))).toHaveLength(
      2,
    );
    expect(JSON.parse(b.file('fic.json'))).toEqual(
      expect.objectContaining({
        issuer: 'https://login.microsoftonline.com/t-1/v2.0',
        subject: 'p-1',
        audiences: ['api://AzureADTokenExchange'],
      }),
    );
  });

  it('auth: refuses before azd has the app registration id, touching nothing', () => {
    const b = box({});
    const r = b.run('onboard.sh', ['auth']);
    expect(r.status).toBe(1);
    expect(r.out).toContain('WARDEN_AUTH_CLIENT_ID');
    expect(b.log().filter((l) => l.startsWith('az '))).toEqual([]);
  });
});

describeCompiled('infra/onboard.sh management-group', (template) => {
  const run = () => {
    const b = box({ WARDEN_IDENTITY_PRINCIPAL_ID: 'p-1', AZURE_ENV_NAME: 'warden-prod' });
    const r = b.run('onboard.sh', ['management-group', 'mg-platform']);
    expect(r.status).toBe(0);
    return b;
  };
  const MG = '/providers/Microsoft.Management/managementGroups/mg-platform';

  it("creates the three custom roles there with exactly the compiled roles' permissions", () => {
    const b = run();
    const roles = b
      .file('role.json')
      .split('---\n')
      .filter((x) => x.trim())
      .map(
        (x) =>
          JSON.parse(x) as {
            Name: string;
            Actions: string[];
            DataActions: string[];
            AssignableScopes: string[];
          },
      );
    expect(roles.map((r) => r.Name)).toEqual([
      'Warden AKS Upgrader MG (warden-prod)',
      'Warden Pre-flight Reader MG (warden-prod)',
      'Warden Fleet Gate Approver MG (warden-prod)',
    ]);
    const compiledNames = ['Warden AKS Upgrader', 'Warden Pre-flight Reader', 'Warden Fleet Gate Approver'];
    roles.forEach((role, i) => {
      const compiled = customRoleOf(template, compiledNames[i]!);
      expect({ name: role.Name, actions: role.Actions, dataActions: role.DataActions }).toEqual({
        name: role.Name,
        actions: compiled.actions,
        dataActions: compiled.dataActions,
      });
      expect(role.AssignableScopes).toEqual([MG]);
    });
  });

  it("assigns Reader, the two AKS roles and the custom roles there, and sets the app's scope", () => {
    const b = run();
    const assigned = b
      .log()
      .filter((l) => l.startsWith('az role assignment create'))
      .map((l) => {
        expect(l).toContain('--assignee-object-id p-1 --assignee-principal-type ServicePrincipal');
        expect(l).toContain(`--scope ${MG}`);
        return /--role (.*) --scope/.exec(l)?.[1];
      });
    expect(assigned).toEqual([
      'Reader',
      'Azure Kubernetes Service Cluster User Role',
      'Azure Kubernetes Service RBAC Reader',
      'Warden AKS Upgrader MG (warden-prod)',
      'Warden Pre-flight Reader MG (warden-prod)',
      'Warden Fleet Gate Approver MG (warden-prod)',
    ]);
    expect(b.env().WARDEN_FLEET_MANAGEMENT_GROUP).toBe('mg-platform');
  });
});

describe('infra/hooks/postprovision.sh', () => {
  const hookEnv = {
    AZURE_KEY_VAULT_NAME: 'kv-test',
    AZURE_FUNCTION_APP_NAME: 'func-x',
    AZURE_RESOURCE_GROUP: 'rg-x',
  };

  it('creates one 32-byte base64url approval key from a file, never on the command line, and restarts the app', () => {
    const b = box();
    const r = b.run('hooks/postprovision.sh', [], hookEnv);
    expect(r.status).toBe(0);
    const key = b.file('key');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    const log = b.log().join('\n');
    expect(log).not.toContain(key);
    expect(r.out).not.toContain(key);
    expect(log).toContain('az functionapp restart --name func-x --resource-group rg-x');
  });

  it('leaves an existing key alone', () => {
    const b = box();
    writeFileSync(join(b.dir, 'secrets'), 'warden-approval-keys\n');
    const r = b.run('hooks/postprovision.sh', [], hookEnv);
    expect(r.status).toBe(0);
    expect(r.out).toContain('exists');
    expect(b.log().some((l) => l.includes('secret set'))).toBe(false);
  });
});

describe('infra/hooks/postdeploy.sh', () => {
  it('turns the Event Grid subscriptions on once, then does nothing', () => {
    const b = box();
    expect(b.run('hooks/postdeploy.sh', [], { WARDEN_EVENT_SUBSCRIPTIONS: '' }).status).toBe(0);
    expect(b.log()).toEqual(['azd env set WARDEN_EVENT_SUBSCRIPTIONS true', 'azd provision --no-prompt']);
    const again = box();
    expect(again.run('hooks/postdeploy.sh', [], { WARDEN_EVENT_SUBSCRIPTIONS: 'true' }).status).toBe(0);
    expect(again.log()).toEqual([]);
  });
});
