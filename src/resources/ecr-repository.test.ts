import { describe, expect, it } from 'vitest';
import { tagMayMove, wildcardMatches, type RepositorySettings } from './ecr-repository.js';

const settings = (imageTagMutability: RepositorySettings['imageTagMutability'], filters: string[] = []): RepositorySettings => ({
  imageTagMutability,
  ...(filters.length ? { imageTagMutabilityExclusionFilters: filters.map((filter) => ({ filterType: 'WILDCARD', filter })) } : {}),
  imageScanningConfiguration: { scanOnPush: false },
  encryptionConfiguration: { encryptionType: 'AES256' },
});

describe('wildcardMatches', () => {
  it('matches * as any run of characters, everything else literally', () => {
    expect(wildcardMatches('latest', 'latest')).toBe(true);
    expect(wildcardMatches('latest', 'latest2')).toBe(false);
    expect(wildcardMatches('dev-*', 'dev-123')).toBe(true);
    expect(wildcardMatches('dev-*', 'prod-1')).toBe(false);
    expect(wildcardMatches('*-rc*', 'v1-rc2')).toBe(true);
    expect(wildcardMatches('a*a', 'a')).toBe(false);
    expect(wildcardMatches('a*b*c', 'abc')).toBe(true);
    expect(wildcardMatches('a*b*c', 'acb')).toBe(false);
    expect(wildcardMatches('v.*', 'v1')).toBe(false);
  });
});

describe('tagMayMove', () => {
  it('follows the repository mode and its exclusion filters', () => {
    expect(tagMayMove(settings('MUTABLE'), 'latest')).toBe(true);
    expect(tagMayMove(settings('IMMUTABLE'), 'latest')).toBe(false);
    expect(tagMayMove(settings('IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*']), 'dev-4')).toBe(true);
    expect(tagMayMove(settings('IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*']), 'v1')).toBe(false);
    expect(tagMayMove(settings('MUTABLE_WITH_EXCLUSION', ['release-*']), 'release-1')).toBe(false);
    expect(tagMayMove(settings('MUTABLE_WITH_EXCLUSION', ['release-*']), 'latest')).toBe(true);
  });
});
