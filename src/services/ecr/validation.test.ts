import { describe, expect, it } from 'vitest';
import { ecrViolationMessage, validateEcrInput } from './validation.js';

describe('validateEcrInput', () => {
  it("answers ECR's InvalidParameterException wording for a pattern", () => {
    const r = validateEcrInput('CreateRepository', { repositoryName: 'Team/Algo' });
    expect(r.errorCode).toBe('InvalidParameterException');
    expect(r.message).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*''",
    );
  });

  it('words a list length as ECR does for BatchDeleteImage (trek10inc/ecr-cleaner#8)', () => {
    const imageIds = Array.from({ length: 101 }, (_, i) => ({ imageTag: `t${i}` }));
    const r = validateEcrInput('BatchDeleteImage', { repositoryName: 'algo', imageIds });
    expect(r.message).toBe("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100'");
  });

  it('passes valid input through with unknown members left out', () => {
    const r = validateEcrInput('DescribeRepositories', { repositoryNames: ['team/algo'], somethingNew: 1 });
    expect(r.violations).toEqual([]);
    expect(r.value).toEqual({ repositoryNames: ['team/algo'] });
  });

  it('leaves wrong JSON types to SerializationException', () => {
    const r = validateEcrInput('CreateRepository', { repositoryName: 5 });
    expect(r.serializationError).toBeDefined();
    expect(r.errorCode).toBeUndefined();
  });
});

describe('ecrViolationMessage', () => {
  it('keeps a message it cannot read as it is', () => {
    expect(ecrViolationMessage('something else')).toBe('something else');
  });
});
