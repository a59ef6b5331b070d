/**
 * IAM roles through boto3 and the AWS CLI (query protocol on Slipway's one port): the default
 * execution role and STS's assumed-role answer, role and policy lifecycles with IAM's errors,
 * refusals that leave nothing behind, and roles surviving a restart.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv, python, startTestServer, type TestServer } from '../../helpers/server.js';
import { sdkPython } from '../../helpers/sagemaker-sdk.js';

const run = promisify(execFile);
let server: TestServer;
let scratch: string;

beforeAll(async () => {
  server = await startTestServer();
  scratch = mkdtempSync(join(tmpdir(), 'iam-'));
});
afterAll(async () => {
  await server?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const PRELUDE = `
import boto3, json, botocore
iam = boto3.client('iam')
TRUST = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'sagemaker.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]})
S3_READ = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': ['s3:GetObject'], 'Resource': 'arn:aws:s3:::data/*'}]})
def err(f):
    try:
        f()
        return 'ok'
    except botocore.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message']]
`;

describe('IAM', () => {
  it('has a default execution role that STS answers as, so get_execution_role() finds it', async () => {
    const { result: out } = await sdkPython(
      server.url,
      `
iam = boto3.client('iam')
ident = boto3.client('sts').get_caller_identity()
role = iam.get_role(RoleName='SlipwayExecutionRole')['Role']
emit({'ident': ident['Arn'], 'user': ident['UserId'], 'account': ident['Account'], 'arn': role['Arn'], 'id': role['RoleId'],
  'trust': role['AssumeRolePolicyDocument'], 'attached': iam.list_attached_role_policies(RoleName='SlipwayExecutionRole')['AttachedPolicies'],
  'sdk': sagemaker.get_execution_role(sagemaker.Session(default_bucket='unused'))})`,
    );
    expect(out.ident).toBe('arn:aws:sts::000000000000:assumed-role/SlipwayExecutionRole/slipway');
    expect(out.user).toBe(`${out.id}:slipway`);
    expect(out.id).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(out.account).toBe('000000000000');
    expect(out.arn).toBe('arn:aws:iam::000000000000:role/SlipwayExecutionRole');
    expect(out.trust.Statement[0].Principal).toEqual({ Service: 'sagemaker.amazonaws.com' });
    expect(out.attached).toEqual([{ PolicyName: 'AmazonSageMakerFullAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSageMakerFullAccess' }]);
    expect(out.sdk).toBe('arn:aws:iam::000000000000:role/SlipwayExecutionRole');
  });

  it('creates, reads, lists, tags, updates and deletes a role with its policies (boto3)', async () => {
    const out = await python(
      server.url,
      `${PRELUDE}
r = iam.create_role(RoleName='Tutorial-Role', Path='/service-role/', AssumeRolePolicyDocument=TRUST, Description='d',
                    Tags=[{'Key': 'team', 'Value': 'ml'}])['Role']
iam.create_role(RoleName='zz-other', AssumeRolePolicyDocument=TRUST)
dup = err(lambda: iam.create_role(RoleName='tutorial-role', AssumeRolePolicyDocument=TRUST))
got = iam.get_role(RoleName='TUTORIAL-ROLE')['Role']
page1 = iam.list_roles(MaxItems=1)
page2 = iam.list_roles(MaxItems=1, Marker=page1['Marker'])
prefix = [x['RoleName'] for x in iam.list_roles(PathPrefix='/service-role/')['Roles']]
iam.put_role_policy(RoleName='Tutorial-Role', PolicyName='s3-read', PolicyDocument=S3_READ)
iam.put_role_policy(RoleName='Tutorial-Role', PolicyName='s3-read', PolicyDocument=S3_READ)
pol = iam.get_role_policy(RoleName='Tutorial-Role', PolicyName='s3-read')
iam.attach_role_policy(RoleName='Tutorial-Role', PolicyArn='arn:aws:iam::aws:policy/AmazonS3FullAccess')
iam.attach_role_policy(RoleName='Tutorial-Role', PolicyArn='arn:aws:iam::aws:policy/AmazonS3FullAccess')
attached = iam.list_attached_role_policies(RoleName='Tutorial-Role')['AttachedPolicies']
conflict_attached = err(lambda: iam.delete_role(RoleName='Tutorial-Role'))
iam.detach_role_policy(RoleName='Tutorial-Role', PolicyArn='arn:aws:iam::aws:policy/AmazonS3FullAccess')
detach_again = err(lambda: iam.detach_role_policy(RoleName='Tutorial-Role', PolicyArn='arn:aws:iam::aws:policy/AmazonS3FullAccess'))
conflict_inline = err(lambda: iam.delete_role(RoleName='Tutorial-Role'))
names = iam.list_role_policies(RoleName='Tutorial-Role')['PolicyNames']
iam.delete_role_policy(RoleName='Tutorial-Role', PolicyName='s3-read')
missing_policy = err(lambda: iam.get_role_policy(RoleName='Tutorial-Role', PolicyName='s3-read'))
iam.tag_role(RoleName='Tutorial-Role', Tags=[{'Key': 'TEAM', 'Value': 'data'}, {'Key': 'env', 'Value': 'dev'}])
iam.untag_role(RoleName='Tutorial-Role', TagKeys=['env'])
tags = iam.list_role_tags(RoleName='Tutorial-Role')['Tags']
iam.update_role(RoleName='Tutorial-Role', Description='new', MaxSessionDuration=7200)
iam.update_assume_role_policy(RoleName='Tutorial-Role', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': ['sagemaker.amazonaws.com', 'ec2.amazonaws.com']}, 'Action': 'sts:AssumeRole'}]}))
after = iam.get_role(RoleName='Tutorial-Role')['Role']
iam.delete_role(RoleName='Tutorial-Role')
iam.delete_role(RoleName='zz-other')
print(json.dumps({'arn': r['Arn'], 'path': got['Path'], 'name': got['RoleName'], 'trust': got['AssumeRolePolicyDocument'], 'desc': got['Description'],
  'session': got['MaxSessionDuration'], 'tags0': got['Tags'], 'dup': dup, 'p1': [x['RoleName'] for x in page1['Roles']], 't1': page1['IsTruncated'],
  'p2': [x['RoleName'] for x in page2['Roles']], 'prefix': prefix, 'pol': pol['PolicyDocument'], 'attached': attached,
  'conflict_attached': conflict_attached, 'detach_again': detach_again, 'conflict_inline': conflict_inline, 'names': names,
  'missing_policy': missing_policy, 'tags': tags, 'after': [after['Description'], after['MaxSessionDuration'], after['AssumeRolePolicyDocument']['Statement'][0]['Principal']],
  'gone': err(lambda: iam.get_role(RoleName='Tutorial-Role')), 'left': [x['RoleName'] for x in iam.list_roles()['Roles']]}, default=str))`,
    );
    expect(out.arn).toBe('arn:aws:iam::000000000000:role/service-role/Tutorial-Role');
    expect([out.path, out.name, out.desc, out.session]).toEqual(['/service-role/', 'Tutorial-Role', 'd', 3600]);
    expect(out.trust.Statement[0].Principal.Service).toBe('sagemaker.amazonaws.com');
    expect(out.tags0).toEqual([{ Key: 'team', Value: 'ml' }]);
    expect(out.dup).toEqual(['EntityAlreadyExists', 409, 'Role with name tutorial-role already exists.']);
    expect([out.p1, out.t1, out.p2]).toEqual([['SlipwayExecutionRole'], true, ['Tutorial-Role']]);
    expect(out.prefix).toEqual(['Tutorial-Role']);
    expect(out.pol).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::data/*' }] });
    expect(out.attached).toEqual([{ PolicyName: 'AmazonS3FullAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }]);
    expect(out.conflict_attached).toEqual(['DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.']);
    expect(out.detach_again).toEqual(['NoSuchEntity', 404, 'Policy arn:aws:iam::aws:policy/AmazonS3FullAccess was not found.']);
    expect(out.conflict_inline).toEqual(['DeleteConflict', 409, 'Cannot delete entity, must delete policies first.']);
    expect(out.names).toEqual(['s3-read']);
    expect(out.missing_policy).toEqual(['NoSuchEntity', 404, 'The role policy with name s3-read cannot be found.']);
    expect(out.tags).toEqual([{ Key: 'TEAM', Value: 'data' }]);
    expect(out.after).toEqual(['new', 7200, { Service: ['sagemaker.amazonaws.com', 'ec2.amazonaws.com'] }]);
    expect(out.gone).toEqual(['NoSuchEntity', 404, 'The role with name Tutorial-Role cannot be found.']);
    expect(out.left).toEqual(['SlipwayExecutionRole']);
  });

  it('refuses malformed documents, bad names and unknown policies with IAM’s errors and keeps nothing', async () => {
    const out = await python(
      server.url,
      `${PRELUDE}
iam.create_role(RoleName='keep', AssumeRolePolicyDocument=TRUST)
c = {
  'not_json': err(lambda: iam.create_role(RoleName='bad1', AssumeRolePolicyDocument='{"Version": "2012-10-17",')),
  'resource': err(lambda: iam.create_role(RoleName='bad2', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'x.amazonaws.com'}, 'Action': 'sts:AssumeRole', 'Resource': '*'}]}))),
  'name': err(lambda: iam.create_role(RoleName='no spaces', AssumeRolePolicyDocument=TRUST)),
  'long': err(lambda: iam.create_role(RoleName='r' * 65, AssumeRolePolicyDocument=TRUST)),
  'big_trust': err(lambda: iam.create_role(RoleName='bad3', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'sagemaker.amazonaws.com'}, 'Action': 'sts:AssumeRole', 'Sid': 'x' * 3000}]}))),
  'inline_principal': err(lambda: iam.put_role_policy(RoleName='keep', PolicyName='p', PolicyDocument=TRUST)),
  'inline_no_resource': err(lambda: iam.put_role_policy(RoleName='keep', PolicyName='p', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': {'Effect': 'Allow', 'Action': 's3:*'}}))),
  'inline_too_big': err(lambda: iam.put_role_policy(RoleName='keep', PolicyName='p', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::' + 'b' * 10300}]}))),
  'no_role': err(lambda: iam.put_role_policy(RoleName='nobody', PolicyName='p', PolicyDocument=S3_READ)),
  'customer_policy': err(lambda: iam.attach_role_policy(RoleName='keep', PolicyArn='arn:aws:iam::000000000000:policy/mine')),
  'bad_arn': err(lambda: iam.attach_role_policy(RoleName='keep', PolicyArn='arn:aws:s3:::some-bucket')),
  'dup_tags': err(lambda: iam.tag_role(RoleName='keep', Tags=[{'Key': 'a', 'Value': '1'}, {'Key': 'A', 'Value': '2'}])),
}
for i in range(10):
    iam.attach_role_policy(RoleName='keep', PolicyArn=f'arn:aws:iam::aws:policy/P{i}')
c['eleventh'] = err(lambda: iam.attach_role_policy(RoleName='keep', PolicyArn='arn:aws:iam::aws:policy/P10'))
c['roles'] = sorted(x['RoleName'] for x in iam.list_roles()['Roles'])
c['policies'] = iam.list_role_policies(RoleName='keep')['PolicyNames']
c['tags'] = iam.list_role_tags(RoleName='keep')['Tags']
print(json.dumps(c))`,
    );
    expect(out.not_json).toEqual(['MalformedPolicyDocument', 400, 'This policy contains invalid Json']);
    expect(out.resource).toEqual(['MalformedPolicyDocument', 400, 'Has prohibited field Resource']);
    expect(out.name[0]).toBe('ValidationError');
    expect(out.name[2]).toBe("1 validation error detected: Value 'no spaces' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
    expect(out.long[2]).toMatch(/at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64/);
    expect(out.big_trust).toEqual(['LimitExceeded', 409, 'Cannot exceed quota for ACLSizePerRole: 2048']);
    expect(out.inline_principal).toEqual(['MalformedPolicyDocument', 400, 'Policy document should not specify a principal.']);
    expect(out.inline_no_resource).toEqual(['MalformedPolicyDocument', 400, 'Policy statement must contain resources.']);
    expect(out.inline_too_big).toEqual(['LimitExceeded', 409, 'Maximum policy size of 10240 bytes exceeded for role keep']);
    expect(out.no_role).toEqual(['NoSuchEntity', 404, 'The role with name nobody cannot be found.']);
    expect(out.customer_policy).toEqual(['NoSuchEntity', 404, 'Policy arn:aws:iam::000000000000:policy/mine does not exist or is not attachable.']);
    expect(out.bad_arn).toEqual(['InvalidInput', 400, 'ARN arn:aws:s3:::some-bucket is not valid.']);
    expect(out.dup_tags).toEqual(['InvalidInput', 400, 'Duplicate tag keys found. Please note that Tag keys are case insensitive.']);
    expect(out.eleventh).toEqual(['LimitExceeded', 409, 'Cannot exceed quota for PoliciesPerRole: 10']);
    expect(out.roles).toEqual(['SlipwayExecutionRole', 'keep']);
    expect(out.policies).toEqual([]);
    expect(out.tags).toEqual([]);
  });

  it('serves the AWS CLI’s iam commands with file:// documents', async () => {
    const trustFile = join(scratch, 'trust.json');
    writeFileSync(trustFile, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] }));
    const aws = async (...args: string[]) => JSON.parse((await run('aws', [...args, '--output', 'json'], { env: awsEnv(server.url) })).stdout || '{}');
    const created = await aws('iam', 'create-role', '--role-name', 'cli-role', '--assume-role-policy-document', `file://${trustFile}`);
    await aws('iam', 'attach-role-policy', '--role-name', 'cli-role', '--policy-arn', 'arn:aws:iam::aws:policy/AmazonSageMakerFullAccess');
    const got = await aws('iam', 'get-role', '--role-name', 'cli-role');
    expect(created.Role.Arn).toBe('arn:aws:iam::000000000000:role/cli-role');
    expect(got.Role.AssumeRolePolicyDocument.Statement[0].Action).toBe('sts:AssumeRole');
    const missing = await run('aws', ['iam', 'get-role', '--role-name', 'nope'], { env: awsEnv(server.url) }).catch((e: { stderr: string }) => e.stderr);
    expect(missing).toMatch(/NoSuchEntity.*The role with name nope cannot be found/);
  });

  it('keeps roles and policies across a restart, and the default role keeps its id', async () => {
    const before = await python(
      server.url,
      `${PRELUDE}
iam.create_role(RoleName='durable', AssumeRolePolicyDocument=TRUST)
iam.put_role_policy(RoleName='durable', PolicyName='p', PolicyDocument=S3_READ)
print(json.dumps({'id': iam.get_role(RoleName='SlipwayExecutionRole')['Role']['RoleId']}))`,
    );
    server = await server.restart();
    const after = await python(
      server.url,
      `${PRELUDE}
print(json.dumps({'id': iam.get_role(RoleName='SlipwayExecutionRole')['Role']['RoleId'],
  'policies': iam.list_role_policies(RoleName='durable')['PolicyNames'], 'arn': iam.get_role(RoleName='durable')['Role']['Arn']}))`,
    );
    expect(after).toEqual({ id: before.id, policies: ['p'], arn: 'arn:aws:iam::000000000000:role/durable' });
  });
});

describe('strict roles (SLIPWAY_STRICT_ROLES)', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ strictRoles: true });
  });
  afterAll(async () => {
    await strict?.cleanup();
  });

  it('refuses SageMaker calls naming a role that is missing or does not trust SageMaker, with SageMaker’s wording, and creates nothing', async () => {
    const out = await python(
      strict.url,
      `${PRELUDE}
sm = boto3.client('sagemaker')
iam.create_role(RoleName='ec2-only', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))
iam.create_role(RoleName='sm', Path='/service-role/', AssumeRolePolicyDocument=TRUST)
def job(name, role):
    return err(lambda: sm.create_training_job(TrainingJobName=name, RoleArn=role,
        AlgorithmSpecification={'TrainingImage': 'no-such-image:latest', 'TrainingInputMode': 'File'},
        OutputDataConfig={'S3OutputPath': 's3://b/out'}, ResourceConfig={'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 1},
        StoppingCondition={'MaxRuntimeInSeconds': 60}))
def model(name, role):
    return err(lambda: sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={'Image': 'x:latest'}))
acct = '000000000000'
print(json.dumps({
  'missing_job': job('j1', f'arn:aws:iam::{acct}:role/nobody'),
  'other_account': job('j2', 'arn:aws:iam::123456789012:role/SlipwayExecutionRole'),
  'untrusted_job': job('j3', f'arn:aws:iam::{acct}:role/ec2-only'),
  'wrong_path': job('j4', f'arn:aws:iam::{acct}:role/sm'),
  'missing_model': model('m1', f'arn:aws:iam::{acct}:role/nobody'),
  'default_model': model('m2', f'arn:aws:iam::{acct}:role/SlipwayExecutionRole'),
  'path_job': job('j5', f'arn:aws:iam::{acct}:role/service-role/sm'),
  'jobs': [j['TrainingJobName'] for j in sm.list_training_jobs()['TrainingJobSummaries']],
  'models': [m['ModelName'] for m in sm.list_models()['Models']]}))`,
    );
    const job = (arn: string) => [
      'ValidationException',
      400,
      `Could not assume role ${arn}. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.`,
    ];
    expect(out.missing_job).toEqual(job('arn:aws:iam::000000000000:role/nobody'));
    expect(out.other_account).toEqual(job('arn:aws:iam::123456789012:role/SlipwayExecutionRole'));
    expect(out.untrusted_job).toEqual(job('arn:aws:iam::000000000000:role/ec2-only'));
    expect(out.wrong_path).toEqual(job('arn:aws:iam::000000000000:role/sm'));
    expect(out.missing_model).toEqual([
      'ValidationException',
      400,
      'The execution role ARN "arn:aws:iam::000000000000:role/nobody" is invalid. Please ensure that the role exists and that its trust relationship policy allows the action "sts:AssumeRole" for the service principal "sagemaker.amazonaws.com".',
    ]);
    expect([out.default_model, out.path_job]).toEqual(['ok', 'ok']);
    expect(out.jobs).toEqual(['j5']);
    expect(out.models).toEqual(['m2']);
  });
});

describe('IAM with authentication on', () => {
  let authed: TestServer;
  beforeAll(async () => {
    authed = await startTestServer({ credentials: { AKIDIAMTEST: 'iam-secret' } });
  });
  afterAll(async () => {
    await authed?.cleanup();
  });

  it('serves signed calls and refuses an unknown key with the query protocol’s InvalidClientTokenId', async () => {
    const script = (key: string, secret: string) => `
import boto3, json, botocore
iam = boto3.client('iam', aws_access_key_id='${key}', aws_secret_access_key='${secret}')
try:
    print(json.dumps(iam.get_role(RoleName='SlipwayExecutionRole')['Role']['RoleName']))
except botocore.exceptions.ClientError as e:
    print(json.dumps([e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]))`;
    expect(await python(authed.url, script('AKIDIAMTEST', 'iam-secret'))).toBe('SlipwayExecutionRole');
    expect(await python(authed.url, script('AKIDUNKNOWN', 'x'))).toEqual(['InvalidClientTokenId', 403]);
    expect(await python(authed.url, script('AKIDIAMTEST', 'wrong'))).toEqual(['SignatureDoesNotMatch', 403]);
  });
});
