import { describe, expect, it } from 'vitest';
import { MalformedPolicyDocument } from './errors.js';
import { checkPolicyDocument, policySize, trustsService } from './policy-document.js';

const trust = (statement: unknown) => JSON.stringify({ Version: '2012-10-17', Statement: statement });
const SAGEMAKER = { Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' };

function refusal(text: string, kind: 'trust' | 'identity'): string {
  try {
    checkPolicyDocument(text, kind);
  } catch (err) {
    if (err instanceof MalformedPolicyDocument) return err.message;
    throw err;
  }
  return 'accepted';
}

describe('policy documents', () => {
  it('accepts the trust policies tutorials use, with one statement or a list, and 2008 or 2012 versions', () => {
    expect(refusal(trust(SAGEMAKER), 'trust')).toBe('accepted');
    expect(refusal(trust([SAGEMAKER, { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::000000000000:root'] }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]), 'trust')).toBe('accepted');
    expect(refusal(JSON.stringify({ Version: '2008-10-17', Statement: [{ ...SAGEMAKER, Sid: '', Condition: { StringEquals: { 'aws:SourceAccount': '000000000000' } } }] }), 'trust')).toBe('accepted');
  });

  it('answers IAM’s messages for broken trust policies', () => {
    expect(refusal('{"Version": "2012-10-17", "Statement": [', 'trust')).toBe('This policy contains invalid Json');
    expect(refusal('"just a string"', 'trust')).toBe('This policy contains invalid Json');
    expect(refusal(trust({ ...SAGEMAKER, Resource: '*' }), 'trust')).toBe('Has prohibited field Resource');
    expect(refusal(trust({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust')).toMatch(/has a statement with no principals/);
    expect(refusal(trust({ ...SAGEMAKER, Effect: 'Maybe' }), 'trust')).toBe('Syntax errors in policy.');
    expect(refusal(trust({ ...SAGEMAKER, Principal: { Robot: 'x' } }), 'trust')).toMatch(/^Invalid principal in policy/);
    expect(refusal(trust([]), 'trust')).toBe('Syntax errors in policy.');
    expect(refusal(JSON.stringify({ Version: '2013-10-17', Statement: SAGEMAKER }), 'trust')).toBe('Syntax errors in policy.');
  });

  it('answers IAM’s messages for broken inline policies', () => {
    const ok = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };
    expect(refusal(trust(ok), 'identity')).toBe('accepted');
    expect(refusal('not json', 'identity')).toBe('Syntax errors in policy.');
    expect(refusal(trust({ ...ok, Principal: '*' }), 'identity')).toBe('Policy document should not specify a principal.');
    expect(refusal(trust({ Effect: 'Allow', Action: 's3:GetObject' }), 'identity')).toBe('Policy statement must contain resources.');
    expect(refusal(trust({ Effect: 'Allow', Resource: '*' }), 'identity')).toBe('Policy statement must contain actions.');
    expect(refusal(trust({ ...ok, Action: 'invalid' }), 'identity')).toBe('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    expect(refusal(trust({ ...ok, Action: 's3:List:Bucket' }), 'identity')).toBe('Actions/Condition can contain only one colon.');
    expect(refusal(trust({ ...ok, Resource: 'bucket' }), 'identity')).toBe('Resource bucket must be in ARN format or "*".');
    expect(refusal(trust({ ...ok, Extra: 1 }), 'identity')).toBe('Syntax errors in policy.');
    expect(refusal(trust({ ...ok, Condition: { StringEquals: { a: { b: 'c' } } } }), 'identity')).toBe('Syntax errors in policy.');
  });

  it('checks a deeply nested hostile document in linear time without recursing into it', () => {
    const deep = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":${'['.repeat(60_000)}${']'.repeat(60_000)},"Resource":"*"}}`;
    const t0 = performance.now();
    expect(refusal(deep, 'identity')).toBe('Syntax errors in policy.');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('counts size without whitespace, as IAM quotas do', () => {
    expect(policySize('{ "a" :\n\t"b c" }')).toBe(10);
  });

  it('tells whether a trust policy lets a service assume the role', () => {
    const s = (...st: object[]) => checkPolicyDocument(trust(st), 'trust');
    expect(trustsService(s(SAGEMAKER), 'sagemaker.amazonaws.com')).toBe(true);
    expect(trustsService(s({ ...SAGEMAKER, Principal: { Service: 'ec2.amazonaws.com' } }), 'sagemaker.amazonaws.com')).toBe(false);
    expect(trustsService(s({ ...SAGEMAKER, Action: 'sts:*' }), 'sagemaker.amazonaws.com')).toBe(true);
    expect(trustsService(s({ ...SAGEMAKER, Action: 'sts:Assume?ole' }), 'sagemaker.amazonaws.com')).toBe(true);
    expect(trustsService(s({ ...SAGEMAKER, Action: 'sts:TagSession' }), 'sagemaker.amazonaws.com')).toBe(false);
    expect(trustsService(s({ ...SAGEMAKER, Principal: '*' }), 'sagemaker.amazonaws.com')).toBe(true);
    expect(trustsService(s(SAGEMAKER, { ...SAGEMAKER, Effect: 'Deny' }), 'sagemaker.amazonaws.com')).toBe(false);
    expect(trustsService(s({ ...SAGEMAKER, Action: undefined, NotAction: 'sts:TagSession' }), 'sagemaker.amazonaws.com')).toBe(true);
  });
});
