import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';

import type { FleetConfig } from '../config';

/**
 * A fixed bearer token for a loopback simulator: the SDKs keep their normal https + bearer flow
 * (docs/design/azure-arm.md §h) and nothing leaves the machine. Never used for a non-loopback endpoint.
 * The token names its audience (`warden-local-simulator.<resource>`), so the simulated Kubernetes API
 * can refuse a token that was not issued for the AKS server application.
 */
export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token = 'warden-local-simulator') {}
  getToken(scopes: string | string[]): Promise<AccessToken> {
    const scope = (Array.isArray(scopes) ? scopes[0] : scopes) ?? '';
    return Promise.resolve({
      token: `${this.token}.${scope.replace(/\/\.default$/, '')}`,
      expiresOnTimestamp: Date.now() + 3_600_000,
    });
  }
}

/** The identity Warden calls ARM with: `DefaultAzureCredential` in Azure, a static token against the simulator. */
export function armCredential(fleet: Pick<FleetConfig, 'armIsLoopback'>): TokenCredential {
  return fleet.armIsLoopback ? new StaticTokenCredential() : new DefaultAzureCredential();
}
