import { describe, expect, it } from 'vitest';
import { hasTagOrDigest, isPlausibleImageRef, localImageCandidates, missingImageHint, missingImageMessage, imageOnlyOnManagerMessage } from './image-ref.js';

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

describe('imageOnlyOnManagerMessage', () => {
  it('names the nodes that lack the image and the registry address to push it to', () => {
    expect(imageOnlyOnManagerMessage('team/algo:1', ['n1', 'n2'], '10.0.0.5:7447')).toBe(
      "The image 'team/algo:1' is only in the Swarm manager's engine, not on every node (not found on: n1, n2), so another node would run a different image of that name or none. " +
        'Push it to 10.0.0.5:7447/team/algo (docker tag team/algo:1 10.0.0.5:7447/team/algo:1 && docker push 10.0.0.5:7447/team/algo:1) so every node can pull it, and name that URI.',
    );
  });

  it('takes the repository out of ECR-style and registry names, :latest when no tag is given', () => {
    expect(imageOnlyOnManagerMessage('123456789012.dkr.ecr.us-east-1.amazonaws.com/algo', ['n2'], 'h:80')).toContain('Push it to h:80/algo (docker tag 123456789012.dkr.ecr.us-east-1.amazonaws.com/algo h:80/algo:latest');
    expect(imageOnlyOnManagerMessage('registry.local:5000/x/y:2', ['n2'], 'h:80')).toContain('Push it to h:80/x/y (');
  });

  it("points at Slipway's registry in general when its address is not known", () => {
    expect(imageOnlyOnManagerMessage('algo:1', ['n1'])).toContain("Push it to Slipway's registry (an ECR repository algo; docker push <registry>/algo:1)");
  });
});
