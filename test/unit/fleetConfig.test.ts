import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../shared/config';
import { BASE_ENV, configFailure } from '../helpers/config';

describe('fleet settings', () => {
  it('given nothing, talks to Azure ARM over every readable subscription and manages every cluster', () => {
    const { fleet } = loadConfig(BASE_ENV);
    expect(fleet).toEqual({
      armEndpoint: 'https://management.azure.com',
      armIsLoopback: false,
      scope: { kind: 'tenant' },
    });
  });

  it('given a loopback simulator with its CA file, keeps the endpoint and the PEM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-ca-'));
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const { fleet } = loadConfig({
      ...BASE_ENV,
      WARDEN_ARM_ENDPOINT: 'https://127.0.0.1:4433/',
      WARDEN_ARM_CA_CERT: pem,
    });
    expect(fleet.armEndpoint).toBe('https://127.0.0.1:4433');
    expect(fleet.armIsLoopback).toBe(true);
    expect(fleet.armCaCertPem).toContain('BEGIN CERTIFICATE');
  });

  it('allows plain http only for a loopback simulator', () => {
    expect(
      loadConfig({ ...BASE_ENV, WARDEN_ARM_ENDPOINT: 'http://127.0.0.1:9000' }).fleet.armIsLoopback,
    ).toBe(true);
    expect(configFailure({ WARDEN_ARM_ENDPOINT: 'http://arm.example.com' }).setting).toBe(
      'WARDEN_ARM_ENDPOINT',
    );
    expect(configFailure({ WARDEN_ARM_ENDPOINT: 'not a url' }).setting).toBe('WARDEN_ARM_ENDPOINT');
  });

  it('names WARDEN_ARM_CA_CERT when the file is missing or not a certificate', () => {
    expect(configFailure({ WARDEN_ARM_CA_CERT: '/nonexistent/ca.pem' }).message).toMatch(
      /WARDEN_ARM_CA_CERT: cannot read/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'warden-ca-'));
    writeFileSync(join(dir, 'x.pem'), 'hello');
    expect(configFailure({ WARDEN_ARM_CA_CERT: join(dir, 'x.pem') }).message).toMatch(/not a PEM/);
  });

  it('reads a comma list of subscriptions, trimmed and without duplicates', () => {
    const { fleet } = loadConfig({
      ...BASE_ENV,
      WARDEN_SCOPE_SUBSCRIPTIONS: ' 00000000-0000-0000-0000-000000000001, sub-dev ,SUB-DEV,',
    });
    expect(fleet.scope).toEqual({
      kind: 'subscriptions',
      subscriptionIds: ['00000000-0000-0000-0000-000000000001', 'SUB-DEV'],
    });
  });

  it('rejects a subscription id with path characters', () => {
    expect(configFailure({ WARDEN_SCOPE_SUBSCRIPTIONS: 'a/b' }).setting).toBe('WARDEN_SCOPE_SUBSCRIPTIONS');
  });

  it('reads a management group, and refuses it together with subscriptions', () => {
    expect(loadConfig({ ...BASE_ENV, WARDEN_SCOPE_MANAGEMENT_GROUP: 'platform-mg' }).fleet.scope).toEqual({
      kind: 'managementGroup',
      managementGroupId: 'platform-mg',
    });
    expect(
      configFailure({ WARDEN_SCOPE_MANAGEMENT_GROUP: 'mg', WARDEN_SCOPE_SUBSCRIPTIONS: 'a' }).setting,
    ).toBe('WARDEN_SCOPE_MANAGEMENT_GROUP');
    expect(configFailure({ WARDEN_SCOPE_MANAGEMENT_GROUP: 'a b' }).setting).toBe(
      'WARDEN_SCOPE_MANAGEMENT_GROUP',
    );
  });

  it('reads the cluster selector tag as name=value', () => {
    expect(
      loadConfig({ ...BASE_ENV, WARDEN_CLUSTER_SELECTOR_TAG: 'upgrade-warden = enabled' }).fleet
        .clusterSelector,
    ).toEqual({ name: 'upgrade-warden', value: 'enabled' });
    for (const bad of ['warden', '=x', 'warden=']) {
      expect(configFailure({ WARDEN_CLUSTER_SELECTOR_TAG: bad }).setting).toBe('WARDEN_CLUSTER_SELECTOR_TAG');
    }
  });

  it('approvals.requireSignIn needs App Service Authentication on the app: without it the start fails naming the policy', () => {
    const policy = 'approvals: { requireSignIn: true }';
    const e = configFailure({ WARDEN_POLICY: policy });
    expect(e.setting).toBe('WARDEN_POLICY');
    expect(e.message).toMatch(/requireSignIn needs App Service Authentication/);
    const config = loadConfig({ ...BASE_ENV, WARDEN_POLICY: policy, WEBSITE_AUTH_ENABLED: 'True' });
    expect(config).toMatchObject({ easyAuth: true, policy: { approvals: { requireSignIn: true } } });
    expect(loadConfig(BASE_ENV)).toMatchObject({
      easyAuth: false,
      policy: { approvals: { requireSignIn: false } },
    });
  });
});
