import { describe, expect, it } from 'vitest';
import { isRegistryPath, parseRegistryPath } from './registry-path.js';

describe('parseRegistryPath', () => {
  it('names the API base and the catalog', () => {
    expect(parseRegistryPath('/v2/')).toEqual({ kind: 'base' });
    expect(parseRegistryPath('/v2')).toEqual({ kind: 'base' });
    expect(parseRegistryPath('/v2/_catalog')).toEqual({ kind: 'catalog' });
  });

  it('reads namespaced repository names up to the route segment', () => {
    expect(parseRegistryPath('/v2/team/algo/manifests/latest')).toEqual({ kind: 'manifest', name: 'team/algo', reference: 'latest' });
    expect(parseRegistryPath('/v2/a/b/c/tags/list')).toEqual({ kind: 'tags', name: 'a/b/c' });
    expect(parseRegistryPath('/v2/algo/blobs/sha256:abc')).toEqual({ kind: 'blob', name: 'algo', digest: 'sha256:abc' });
    expect(parseRegistryPath('/v2/algo/blobs/uploads/')).toEqual({ kind: 'upload', name: 'algo' });
    expect(parseRegistryPath('/v2/algo/blobs/uploads/1f2e')).toEqual({ kind: 'upload', name: 'algo', uuid: '1f2e' });
    // A component named like a route segment is part of the name.
    expect(parseRegistryPath('/v2/blobs/manifests/manifests/v1')).toEqual({ kind: 'manifest', name: 'blobs/manifests', reference: 'v1' });
  });

  it('refuses names outside the reference grammar', () => {
    expect(parseRegistryPath('/v2/Team/algo/manifests/latest')).toEqual({ kind: 'invalidName', name: 'Team/algo' });
    expect(parseRegistryPath('/v2/../x/manifests/latest')).toEqual({ kind: 'invalidName', name: '..' + '/x' });
    expect(parseRegistryPath('/v2/a%2Fb/manifests/latest')?.kind).toBe('invalidName');
    expect(parseRegistryPath(`/v2/${'a'.repeat(257)}/tags/list`)?.kind).toBe('invalidName');
  });

  it('has no route for other paths under /v2/', () => {
    expect(parseRegistryPath('/v2/algo')).toBeUndefined();
    expect(parseRegistryPath('/v2/algo/manifests/')).toBeUndefined();
  });
});

describe('isRegistryPath', () => {
  it('owns /v2 and everything below it only', () => {
    expect(isRegistryPath('/v2/')).toBe(true);
    expect(isRegistryPath('/v2')).toBe(true);
    expect(isRegistryPath('/v21/x')).toBe(false);
    expect(isRegistryPath('/bucket/v2/')).toBe(false);
  });
});
