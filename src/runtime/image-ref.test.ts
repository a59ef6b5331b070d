import { describe, expect, it } from 'vitest';
import { hasTagOrDigest, isPlausibleImageRef, localImageCandidates, missingImageHint, missingImageMessage } from './image-ref.js';

describe('localImageCandidates', () => {
  it('returns a tagged local reference unchanged and alone', () => {
    expect(localImageCandidates('my-algo:1.0')).toEqual(['my-algo:1.0']);
  });

  it('adds :latest to a reference without tag', () => {
    expect(localImageCandidates('my-algo')).toEqual(['my-algo', 'my-algo:latest']);
  });

  it('keeps a registry port from being mistaken for a tag', () => {
    expect(localImageCandidates('localhost:5000/my-algo')).toEqual([
      'localhost:5000/my-algo',
      'localhost:5000/my-algo:latest',
    ]);
  });

  it('maps an ECR reference to the bare repository and tag after the reference itself', () => {
    expect(localImageCandidates('123456789012.dkr.ecr.us-east-1.amazonaws.com/team/algo:v2')).toEqual([
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/algo:v2',
      'team/algo:v2',
    ]);
  });

  it('maps an ECR reference in a China region', () => {
    expect(localImageCandidates('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/algo:v1')).toEqual([
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/algo:v1',
      'algo:v1',
    ]);
  });

  it('maps an ECR reference with a digest', () => {
    const digest = 'sha256:' + 'a'.repeat(64);
    expect(localImageCandidates(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/algo@${digest}`)).toEqual([
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/algo@${digest}`,
      `algo@${digest}`,
    ]);
  });

  it('adds :latest to both forms of an untagged ECR reference', () => {
    expect(localImageCandidates('123456789012.dkr.ecr.us-east-1.amazonaws.com/algo')).toEqual([
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/algo',
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:latest',
      'algo',
      'algo:latest',
    ]);
  });

  it('does not treat look-alike registries as ECR', () => {
    expect(localImageCandidates('12345.dkr.ecr.us-east-1.amazonaws.com/algo:v1')).toEqual([
      '12345.dkr.ecr.us-east-1.amazonaws.com/algo:v1',
    ]);
    expect(localImageCandidates('123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/algo:v1')).toEqual([
      '123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/algo:v1',
    ]);
  });

  it('returns nothing for an empty reference', () => {
    expect(localImageCandidates('  ')).toEqual([]);
  });
});

describe('hasTagOrDigest', () => {
  it('tells tags and digests apart from registry ports', () => {
    expect(hasTagOrDigest('algo:v1')).toBe(true);
    expect(hasTagOrDigest('algo@sha256:abc')).toBe(true);
    expect(hasTagOrDigest('host:5000/algo')).toBe(false);
    expect(hasTagOrDigest('algo')).toBe(false);
  });
});

describe('isPlausibleImageRef', () => {
  it('accepts usual references and rejects whitespace, empty and odd characters', () => {
    expect(isPlausibleImageRef('slipway-base/python:bookworm')).toBe(true);
    expect(isPlausibleImageRef('123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b@sha256:' + 'f'.repeat(64))).toBe(true);
    expect(isPlausibleImageRef('')).toBe(false);
    expect(isPlausibleImageRef('has space')).toBe(false);
    expect(isPlausibleImageRef('../etc/passwd')).toBe(false);
    expect(isPlausibleImageRef('a?b=c')).toBe(false);
  });
});

describe('missingImageHint', () => {
  it('tells to push an ECR-style reference or build it under its bare name', () => {
    expect(missingImageHint('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/algo:2')).toEqual({
      where: "in Slipway's registry or on this host",
      remedy: 'Push it (docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/algo:2) or build it locally (docker build -t team/algo:2 .) and try again.',
    });
    expect(missingImageHint('127.0.0.1:7447/algo:1').where).toBe("in Slipway's registry or on this host");
  });

  it('tells to build a plain local reference', () => {
    expect(missingImageHint('team/algo:1')).toEqual({ where: 'on this host', remedy: 'Build or tag it locally (docker build -t team/algo:1 .) and try again.' });
  });
});

describe('missingImageMessage', () => {
  it('is one wording for endpoints, transform models and jobs', () => {
    expect(missingImageMessage('algo:1', 'for production variant AllTraffic')).toBe(
      "The image 'algo:1' for production variant AllTraffic was not found on this host. Build or tag it locally (docker build -t algo:1 .) and try again.",
    );
    expect(missingImageMessage('algo:1', 'of the model')).toBe("The image 'algo:1' of the model was not found on this host. Build or tag it locally (docker build -t algo:1 .) and try again.");
    expect(missingImageMessage('algo:1')).toBe("The image 'algo:1' was not found on this host. Build or tag it locally (docker build -t algo:1 .) and try again.");
  });
});
