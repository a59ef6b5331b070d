/** @module services/ecr/deps — what ECR operation handlers are given: storage, tokens and the registry's clean-up hooks. */
import type { SqlEcrStore } from '../../storage/ecr-store.js';
import type { TagStore } from '../../storage/tag-store.js';
import type { LoginTokens } from '../../resources/ecr-login-token.js';

/**
 * What the registry does when ECR forgets content. The rows are gone first (so nothing can pull
 * the image any more); these free the registry's copy and are best effort: a failure is logged,
 * never answered, since the API call already took effect.
 */
export interface RegistryHooks {
  forgetImage(repository: string, digest: string): Promise<void>;
  forgetRepository(repository: string): Promise<void>;
}

export interface EcrDeps {
  accountId: string;
  store: SqlEcrStore;
  tags: TagStore;
  tokens: LoginTokens;
  registry: RegistryHooks;
  now?: () => number;
}
