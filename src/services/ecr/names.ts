/** @module services/ecr/names — ECR's names: registry host, repository URI and ARN. */

/** `<account>.dkr.ecr.<region>.amazonaws.com`, the host every ECR image URI starts with. */
export function registryHost(account: string, region: string): string {
  return `${account}.dkr.ecr.${region}.amazonaws.com`;
}

export function repositoryUri(account: string, region: string, name: string): string {
  return `${registryHost(account, region)}/${name}`;
}

export function repositoryArn(region: string, account: string, name: string): string {
  return `arn:aws:ecr:${region}:${account}:repository/${name}`;
}

const ARN = /^arn:aws[a-z-]*:ecr:([a-z0-9-]*):(\d{12}):repository\/(.+)$/;

export function parseRepositoryArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = ARN.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : undefined;
}

/**
 * The key a repository's resource tags are stored under (storage/tag-store): one per repository
 * whatever region the caller signed for, since Slipway's repositories are not regional.
 */
export function tagKeyOf(account: string, name: string): string {
  return `arn:aws:ecr:*:${account}:repository/${name}`;
}
