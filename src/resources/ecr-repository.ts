/**
 * @module resources/ecr-repository — an ECR repository's settings, and whether a push may move an existing tag to another image
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html): never in an
 * IMMUTABLE repository, always in a MUTABLE one; the *_WITH_EXCLUSION modes flip the rule for
 * tags matching one of the WILDCARD filters (`*` matches any run of characters).
 */
export type TagMutability = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';

/** A repository's settings as CreateRepository / PutImageTagMutability give them. */
export interface RepositorySettings {
  imageTagMutability: TagMutability;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: string; kmsKey?: string };
}


export function wildcardMatches(filter: string, tag: string): boolean {
  const parts = filter.split('*');
  if (parts.length === 1) return filter === tag;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!tag.startsWith(first) || tag.length < first.length + last.length || !tag.endsWith(last)) return false;
  let at = first.length;
  const end = tag.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const i = tag.indexOf(middle, at);
    if (i < 0 || i + middle.length > end) return false;
    at = i + middle.length;
  }
  return true;
}

export function tagMayMove(settings: RepositorySettings, tag: string): boolean {
  const excluded = () => (settings.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcardMatches(f.filter, tag));
  switch (settings.imageTagMutability) {
    case 'MUTABLE':
      return true;
    case 'IMMUTABLE':
      return false;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return excluded();
    case 'MUTABLE_WITH_EXCLUSION':
      return !excluded();
  }
}
