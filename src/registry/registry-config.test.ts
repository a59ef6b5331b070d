import { describe, expect, it } from 'vitest';
import { renderRegistryConfig } from './registry-config.js';

describe('renderRegistryConfig', () => {
  it('serves a Unix socket with relative Location headers, deletes enabled, and quotes paths', () => {
    const yaml = renderRegistryConfig({ storageDir: '/home/a b/registry/data', socketPath: '/home/a b/registry/registry.sock', secret: 's"1' });
    expect(yaml).toContain('  net: unix\n  addr: "/home/a b/registry/registry.sock"\n');
    expect(yaml).toContain('  relativeurls: true\n');
    expect(yaml).toContain('    rootdirectory: "/home/a b/registry/data"\n');
    expect(yaml).toContain('  delete:\n    enabled: true\n');
    expect(yaml).toContain('  secret: "s\\"1"\n');
    expect(yaml).not.toMatch(/^auth:/m);
  });
});
