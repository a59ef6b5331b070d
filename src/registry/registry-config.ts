/**
 * @module registry/registry-config — the configuration file of the managed `docker-registry`
 * (distribution 2.8, docs/configuration.md of distribution). It listens on a Unix socket in
 * Slipway's data directory (no port to race for, nothing a container could reach), stores into
 * the filesystem driver under the same directory, and has no authentication of its own: Slipway's
 * proxy in front of it (registry-proxy.ts) is the only way in.
 */

export interface RegistryConfigInput {
  /** Storage root (the filesystem driver's rootdirectory). */
  storageDir: string;
  socketPath: string;
  /** Signs upload state between requests; kept across restarts so an interrupted push can resume. */
  secret: string;
}

/** YAML; strings are written as JSON strings, which YAML reads as double-quoted scalars. */
export function renderRegistryConfig(c: RegistryConfigInput): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  formatter: text',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(c.storageDir)}`,
    // ECR's deletes (BatchDeleteImage, DeleteRepository) free the registry's copy by digest.
    '  delete:',
    '    enabled: true',
    '  redirect:',
    '    disable: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: true',
    '      age: 168h',
    '      interval: 24h',
    '      dryrun: false',
    'http:',
    '  net: unix',
    `  addr: ${q(c.socketPath)}`,
    // Location headers without a host: they stay right behind the proxy, whatever name the client used.
    '  relativeurls: true',
    `  secret: ${q(c.secret)}`,
    '  draintimeout: 2s',
    'health:',
    '  storagedriver:',
    '    enabled: true',
    '    interval: 10s',
    '    threshold: 3',
    '',
  ].join('\n');
}
