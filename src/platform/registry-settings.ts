/** @module platform/registry-settings — the registry's settings from the environment (README configuration table). */

export interface RegistrySettings {
  /** Serve `/v2/` from a managed registry (started on first use). Off: `/v2/` answers 503. */
  enabled: boolean;
  /** Debian's `docker-registry` (distribution 2.8), installed by scripts/setup-registry. */
  binary: string;
  /** Port of the TLS listener for ECR host names, when the host-name opt-in is on (docs/ecr.md). */
  tlsPort: number;
  /** Address the TLS listener binds. */
  tlsHost: string;
}

export function registrySettings(env: NodeJS.ProcessEnv): RegistrySettings {
  const mode = (env.SLIPWAY_REGISTRY ?? 'on').toLowerCase();
  if (mode !== 'on' && mode !== 'off') throw new Error(`SLIPWAY_REGISTRY must be on or off (got ${env.SLIPWAY_REGISTRY})`);
  const tlsPort = Number(env.SLIPWAY_REGISTRY_TLS_PORT ?? 443);
  if (!Number.isInteger(tlsPort) || tlsPort < 0 || tlsPort > 65535) throw new Error(`invalid SLIPWAY_REGISTRY_TLS_PORT: ${env.SLIPWAY_REGISTRY_TLS_PORT}`);
  return {
    enabled: mode === 'on',
    binary: env.SLIPWAY_REGISTRY_BIN ?? '/usr/bin/docker-registry',
    tlsPort,
    tlsHost: env.SLIPWAY_REGISTRY_TLS_HOST ?? '127.0.0.1',
  };
}
