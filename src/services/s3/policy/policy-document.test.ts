import { describe, expect, it } from 'vitest';
import { anonymousDecision, resourceArn } from './anonymous-access.js';
import { matchesPattern, parseBucketPolicy } from './policy-document.js';

const publicRead = (bucket: string, extra: object[] = []) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }, ...extra],
  });

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('parseBucketPolicy', () => {
  it('accepts the public-read policy the website tutorials use', () => {
    const p = parseBucketPolicy(publicRead('site'), 'site');
    expect(p.statements).toEqual([{ effect: 'Allow', principal: ['*'], action: ['s3:GetObject'], resource: ['arn:aws:s3:::site/*'], hasCondition: false }]);
  });

  it.each([
    ['', "Policies must be valid JSON and the first byte must be '{'"],
    ['[1]', "Policies must be valid JSON and the first byte must be '{'"],
    ['{"Statement": [', 'This policy contains invalid Json'],
    ['{"Version": "2012-10-17"}', 'Missing required field Statement'],
    ['{"Statement": []}', 'Could not parse the policy: Statement is empty!'],
    ['{"Version": "2020-01-01", "Statement": []}', 'The policy must contain a valid version string'],
    ['{"Statement": [{"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}', 'Missing required field Effect'],
    ['{"Statement": [{"Effect": "Alow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}', 'Invalid effect: Alow'],
    ['{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}', 'Missing required field Principal'],
    ['{"Statement": [{"Effect": "Allow", "Principal": {"Robot": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}', 'Invalid principal in policy'],
    ['{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "arn:aws:s3:::b/*"}]}', 'Missing required field Action'],
    ['{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:RunInstances", "Resource": "arn:aws:s3:::b/*"}]}', 'Policy has invalid action'],
    ['{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}', 'Missing required field Resource'],
    ['{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}', 'Policy has invalid resource'],
    ['{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}', 'Policy has invalid resource'],
  ])('refuses %s with MalformedPolicy', (text, expected) => {
    expect(message(() => parseBucketPolicy(text, 'b'))).toBe(`MalformedPolicy: ${expected}`);
  });

  it('refuses a policy over 20 KB', () => {
    const big = publicRead('b', Array.from({ length: 300 }, (_, i) => ({ Sid: `s${i}`, Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' })));
    expect(message(() => parseBucketPolicy(big, 'b'))).toBe('MalformedPolicy: Policy exceeds the maximum allowed document size.');
  });

  it('accepts a bucket wildcard that covers the bucket, AWS principals and NotAction', () => {
    const text = JSON.stringify({
      Statement: { Effect: 'Deny', Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] }, NotAction: 's3:Get*', Resource: ['arn:aws:s3:::si?e', 'arn:aws:s3:::s*/*'] },
    });
    expect(parseBucketPolicy(text, 'site').statements[0]).toMatchObject({ effect: 'Deny', notAction: ['s3:Get*'] });
  });
});

describe('matchesPattern', () => {
  it('matches * and ? as IAM does', () => {
    expect(matchesPattern('arn:aws:s3:::b/*', 'arn:aws:s3:::b/a/b/c.html')).toBe(true);
    expect(matchesPattern('arn:aws:s3:::b/*.html', 'arn:aws:s3:::b/x.css')).toBe(false);
    expect(matchesPattern('a?c', 'abc')).toBe(true);
    expect(matchesPattern('a?c', 'ac')).toBe(false);
    expect(matchesPattern('S3:getobject', 's3:GetObject', true)).toBe(true);
    expect(matchesPattern('s3:GetObject', 's3:getobject')).toBe(false);
  });

  it('stays fast on a hostile pattern', () => {
    const start = Date.now();
    expect(matchesPattern('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(20_000))).toBe(false);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe('anonymousDecision', () => {
  const obj = resourceArn('site', 'index.html');

  it('allows GetObject under a public-read policy and nothing else', () => {
    const p = parseBucketPolicy(publicRead('site'), 'site');
    expect(anonymousDecision(p, 's3:GetObject', obj)).toBe('allow');
    expect(anonymousDecision(p, 's3:ListBucket', resourceArn('site'))).toBe('none');
    expect(anonymousDecision(undefined, 's3:GetObject', obj)).toBe('none');
  });

  it('lets an explicit Deny win over an Allow', () => {
    const p = parseBucketPolicy(publicRead('site', [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::site/private/*' }]), 'site');
    expect(anonymousDecision(p, 's3:GetObject', obj)).toBe('allow');
    expect(anonymousDecision(p, 's3:GetObject', resourceArn('site', 'private/x'))).toBe('deny');
  });

  it('grants nothing to anonymous callers through a named principal', () => {
    const text = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*' }] });
    expect(anonymousDecision(parseBucketPolicy(text, 'site'), 's3:GetObject', obj)).toBe('none');
  });

  it('fails closed on conditions: an Allow with one grants nothing, a Deny with one applies', () => {
    const allow = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] });
    expect(anonymousDecision(parseBucketPolicy(allow, 'site'), 's3:GetObject', obj)).toBe('none');
    const deny = publicRead('site', [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]);
    expect(anonymousDecision(parseBucketPolicy(deny, 'site'), 's3:GetObject', obj)).toBe('deny');
  });

  it('reads NotPrincipal, NotAction and NotResource as their complements', () => {
    const text = JSON.stringify({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' }, NotAction: 's3:Put*', NotResource: 'arn:aws:s3:::site/secret/*', }] });
    const p = parseBucketPolicy(text, 'site');
    expect(anonymousDecision(p, 's3:GetObject', obj)).toBe('allow');
    expect(anonymousDecision(p, 's3:GetObject', resourceArn('site', 'secret/a'))).toBe('none');
  });
});
