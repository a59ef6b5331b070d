/**
 * Inference pipelines (issue 16, item 6) with a real server, Docker and boto3: a model with
 * several Containers deploys every container on each instance (own model data, Environment, port
 * through SAGEMAKER_BIND_TO_PORT, log stream); Serial chains them (each response, with its
 * Content-Type, is the next request), Direct invokes the one TargetContainerHostname names; and
 * CreateModel refuses what SageMaker refuses (16 containers, Direct without hostnames, ...).
 */
import { describe, expect, it } from 'vitest';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { until } from '../../helpers/poll.js';
import { pythonJson } from '../../helpers/python.js';
import { testRuntimeOf } from '../../helpers/server.js';
import { buildImage, clients, containersOf, rnd, useHostingServer } from './helpers.js';

// Short, so the timeout case is quick (read when the server starts).
process.env.SLIPWAY_INVOCATION_TIMEOUT_MS = '3000';
process.env.SLIPWAY_DATA_CAPTURE_FLUSH_MS = '300';

const s = useHostingServer();
const STAGE = 'slipway-test/pipeline-stage:latest';
const ECHO = 'slipway-test/hosting-model:latest';

/** boto3 prelude: clients, a tarball uploader, deploy-and-wait. */
const PRELUDE = `
import boto3, botocore, io, json, tarfile
sm = boto3.client("sagemaker")
rt = boto3.client("sagemaker-runtime", config=botocore.config.Config(retries={"max_attempts": 1}))
s3 = boto3.client("s3")
logs = boto3.client("logs")
ROLE = "arn:aws:iam::000000000000:role/slipway"

def model_tarball(bucket, key, files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
    return f"s3://{bucket}/{key}"

def deploy(model, endpoint, **config):
    sm.create_endpoint_config(EndpointConfigName=endpoint, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}], **config)
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=endpoint, WaiterConfig={"Delay": 1, "MaxAttempts": 180})

def container_metric(endpoint, host, name):
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    points = boto3.client("cloudwatch").get_metric_statistics(Namespace="AWS/SageMaker", MetricName=name, Statistics=["Sum"], Period=60,
        StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1),
        Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "AllTraffic"}, {"Name": "ContainerName", "Value": host}])["Datapoints"]
    return sum(p["Sum"] for p in points)

def error(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "original": e.response.get("OriginalStatusCode"), "logStreamArn": e.response.get("LogStreamArn")}
    return None
`;

const py = <T>(script: string) => pythonJson<T>(s.server.url, script, { prelude: PRELUDE, timeoutMs: 240_000 });

describe('inference pipelines', () => {
  it('chain a Serial pipeline: container 1 transforms the input with its own model data, container 2 predicts on what it returned', async () => {
    await buildImage('pipeline-stage', STAGE);
    const [model, endpoint, bucket] = [rnd('pipe'), rnd('pipe'), rnd('bucket')];
    const out = await py<any>(`
url = model_tarball("${bucket}", "featurizer/model.tar.gz", {"factor": b"10"})
sm.create_model(ModelName="${model}", ExecutionRoleArn=ROLE, Containers=[
    {"Image": "${STAGE}", "ModelDataUrl": url, "Environment": {"PIPELINE_ROLE": "transform", "ECHO_WHO": "first"}},
    {"Image": "${STAGE}", "Environment": {"PIPELINE_ROLE": "predict", "ECHO_WHO": "second"}},
])
described = sm.describe_model(ModelName="${model}")
deploy("${model}", "${endpoint}", DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://${bucket}/capture/",
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
r = rt.invoke_endpoint(EndpointName="${endpoint}", ContentType="text/csv", Accept="application/json", Body=b"1,2,3", InferenceId="pipe-1")
answer = {"contentType": r["ContentType"], "variant": r["InvokedProductionVariant"], "body": json.loads(r["Body"].read())}
def captured():
    import time
    for _ in range(100):
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="${bucket}", Prefix="capture/${endpoint}/AllTraffic/").get("Contents", [])]
        lines = [l for k in keys for l in s3.get_object(Bucket="${bucket}", Key=k)["Body"].read().decode().splitlines()]
        if lines:
            return [json.loads(l) for l in lines]
        time.sleep(0.2)
    return []
streams = sorted(s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/sagemaker/Endpoints/${endpoint}")["logStreams"])
events = logs.filter_log_events(logGroupName="/aws/sagemaker/Endpoints/${endpoint}")["events"]
print(json.dumps({
    "containers": [c.get("Environment", {}).get("PIPELINE_ROLE") for c in described["Containers"]],
    "hasPrimary": "PrimaryContainer" in described,
    "images": [i["SpecifiedImage"] for i in sm.describe_endpoint(EndpointName="${endpoint}")["ProductionVariants"][0]["DeployedImages"]],
    "answer": answer,
    "targeted": error(lambda: rt.invoke_endpoint(EndpointName="${endpoint}", ContentType="text/csv", TargetContainerHostname="container-2", Body=b"1")),
    "failed": error(lambda: rt.invoke_endpoint(EndpointName="${endpoint}", ContentType="text/csv", Body=b"fail")),
    "slow": error(lambda: rt.invoke_endpoint(EndpointName="${endpoint}", ContentType="text/csv", Body=b"sleep")),
    "wrongType": error(lambda: rt.invoke_endpoint(EndpointName="${endpoint}", ContentType="application/json", Body=b"1")),
    "streams": streams,
    "metrics": {f"{host} {name}": container_metric("${endpoint}", host, name) for host in ("container-1", "container-2") for name in ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors")},
    "lines": [(e["logStreamName"], e["message"]) for e in events if "pipeline stage" in e["message"]],
    "captured": captured(),
}))
`);
    expect(out.containers).toEqual(['transform', 'predict']);
    expect(out.hasPrimary).toBe(false);
    expect(out.images).toEqual([STAGE, STAGE]);
    // 1,2,3 × factor 10 from container 1's model data, summed by container 2.
    expect(out.answer.contentType).toBe('application/json');
    expect(out.answer.variant).toBe('AllTraffic');
    expect(out.answer.body).toMatchObject({ prediction: 60, features: [10, 20, 30] });
    // Container 2 got container 1's response and Content-Type, the caller's Accept, its own port and hostname.
    expect(out.answer.body.seen).toMatchObject({ role: 'predict', contentType: 'application/x-features', accept: 'application/json', port: 8081, host: 'container-2', env: { ECHO_WHO: 'second' } });
    expect(out.answer.body.seen.safePortRange).toMatch(/^\d+-\d+$/);
    // TargetContainerHostname is for Direct endpoints only.
    expect(out.targeted).toMatchObject({ code: 'ValidationError', status: 400 });
    // A failing stage is a ModelError naming it and its own log stream.
    expect(out.failed).toMatchObject({ code: 'ModelError', status: 424, original: 500 });
    expect(out.failed.message).toMatch(/from container-1 with message "stage failed"/);
    expect(out.failed.logStreamArn).toMatch(/:log-stream:AllTraffic\/i-[0-9a-f]+\/container-1$/);
    expect(out.slow).toMatchObject({ code: 'ModelError', status: 424, original: 0, message: expect.stringMatching(/timed out while waiting for a response from container container-1/) });
    expect(out.wrongType).toMatchObject({ code: 'ModelError', original: 415 });
    // Per-container metrics: container 1 got every call that reached the endpoint (ok, fail, slow, wrong type), container 2 only the one container 1 answered.
    expect(out.metrics).toEqual({
      'container-1 Invocations': 4,
      'container-1 Invocation4XXErrors': 1,
      'container-1 Invocation5XXErrors': 2,
      'container-2 Invocations': 1,
      'container-2 Invocation4XXErrors': 0,
      'container-2 Invocation5XXErrors': 0,
    });
    // Data capture keeps what the caller sent and got (not the hops between containers).
    expect(out.captured).toHaveLength(1);
    expect(out.captured[0].eventMetadata.inferenceId).toBe('pipe-1');
    // (No CaptureContentTypeHeader: bodies are BASE64, as SageMaker encodes them then.)
    expect(out.captured[0].captureData.endpointInput).toMatchObject({ observedContentType: 'text/csv', encoding: 'BASE64', data: Buffer.from('1,2,3').toString('base64') });
    expect(out.captured[0].captureData.endpointOutput.observedContentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(out.captured[0].captureData.endpointOutput.data, 'base64').toString())).toMatchObject({ prediction: 60 });
    // One log stream per container, as SageMaker names them.
    expect(out.streams).toHaveLength(2);
    expect(out.streams[0]).toMatch(/^AllTraffic\/i-[0-9a-f]+\/container-1$/);
    expect(out.streams[1]).toMatch(/^AllTraffic\/i-[0-9a-f]+\/container-2$/);
    expect(out.lines.map(([stream, line]: [string, string]) => `${stream.split('/')[2]} ${line.split(' (')[0]}`).sort()).toEqual([
      'container-1 pipeline stage transform on port 8080',
      'container-2 pipeline stage predict on port 8081',
    ]);
    expect(await containersOf(s.server.home, endpoint)).toHaveLength(2);
  });

  it('invoke each container of a Direct endpoint by TargetContainerHostname and refuse an unknown or missing one', async () => {
    await buildImage('pipeline-stage', STAGE);
    const [model, endpoint] = [rnd('direct'), rnd('direct')];
    const out = await py<any>(`
sm.create_model(ModelName="${model}", ExecutionRoleArn=ROLE, InferenceExecutionConfig={"Mode": "Direct"}, Containers=[
    {"Image": "${STAGE}", "ContainerHostname": "featurizer", "Environment": {"PIPELINE_ROLE": "transform"}},
    {"Image": "${STAGE}", "ContainerHostname": "predictor", "Environment": {"PIPELINE_ROLE": "predict"}},
    {"Image": "${ECHO}", "ContainerHostname": "echo", "Environment": {"ECHO_NAME": "unlabelled"}},
])
described = sm.describe_model(ModelName="${model}")
deploy("${model}", "${endpoint}")
def call(host, ctype, body):
    r = rt.invoke_endpoint(EndpointName="${endpoint}", ContentType=ctype, TargetContainerHostname=host, Body=body)
    return {"contentType": r["ContentType"], "body": r["Body"].read().decode()}
print(json.dumps({
    "mode": described["InferenceExecutionConfig"]["Mode"],
    "hostnames": [c["ContainerHostname"] for c in described["Containers"]],
    "featurizer": call("featurizer", "text/csv", b"1,2"),
    "predictor": call("predictor", "application/x-features", b"4,5"),
    "echo": call("echo", "application/json", b'{"x": 1}'),
    "peer": call("featurizer", "text/csv", b"peer predictor:8081"),
    "unknown": error(lambda: call("nobody", "text/csv", b"1")),
    "missing": error(lambda: rt.invoke_endpoint(EndpointName="${endpoint}", ContentType="text/csv", Body=b"1")),
}))
`);
    expect(out.mode).toBe('Direct');
    expect(out.hostnames).toEqual(['featurizer', 'predictor', 'echo']);
    expect(out.featurizer).toEqual({ contentType: 'application/x-features', body: '1.0,2.0' });
    expect(out.predictor.contentType).toBe('application/json');
    expect(JSON.parse(out.predictor.body)).toMatchObject({ prediction: 9, seen: { host: 'predictor', port: 8081 } });
    // An image without the accept-bind-to-port label keeps 8080 in its own network namespace.
    expect(JSON.parse(out.echo.body)).toMatchObject({ env: { ECHO_NAME: 'unlabelled' }, body: '{"x": 1}' });
    // The containers reach each other on the endpoint's network by ContainerHostname.
    expect(out.peer.body).toBe('peer answered 200');
    expect(out.unknown).toMatchObject({ code: 'ValidationError', status: 400, message: expect.stringMatching(/nobody/) });
    expect(out.missing).toMatchObject({ code: 'ValidationError', status: 400, message: expect.stringMatching(/TargetContainerHostname/) });
    expect(await containersOf(s.server.home, endpoint)).toHaveLength(3);
  });

  it('refuse models SageMaker refuses (16 containers, Direct without hostnames, hostnames on some or twice) and batch transform or async with a pipeline', async () => {
    const pipe = rnd('pipe');
    const out = await py<any>(`
c = lambda **kw: {"Image": "${STAGE}", **kw}
sm.create_model(ModelName="${pipe}", ExecutionRoleArn=ROLE, Containers=[c(), c()])
create = lambda containers, **kw: error(lambda: sm.create_model(ModelName="${rnd('bad')}", ExecutionRoleArn=ROLE, Containers=containers, **kw))
print(json.dumps({
    "sixteen": create([c() for _ in range(16)]),
    "fifteen": create([c() for _ in range(15)]),
    "directUnnamed": create([c(ContainerHostname="a"), c()], InferenceExecutionConfig={"Mode": "Direct"}),
    "someNamed": create([c(ContainerHostname="a"), c()]),
    "twice": create([c(ContainerHostname="a"), c(ContainerHostname="A")]),
    "multiModel": create([c(Mode="MultiModel", ModelDataUrl="s3://b/p/"), c()]),
    "transform": error(lambda: sm.create_transform_job(TransformJobName="${rnd('t')}", ModelName="${pipe}",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}}},
        TransformOutput={"S3OutputPath": "s3://b/out/"}, TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})),
    "async": error(lambda: sm.create_endpoint_config(EndpointConfigName="${rnd('c')}",
        ProductionVariants=[{"VariantName": "v", "ModelName": "${pipe}", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": "s3://b/async/"}})),
}))
`);
    expect(out.sixteen).toMatchObject({ code: 'ValidationException', status: 400, message: expect.stringMatching(/'containers' failed to satisfy constraint: Member must have length less than or equal to 15/) });
    expect(out.fifteen).toBeNull();
    expect(out.directUnnamed).toMatchObject({ code: 'ValidationException', message: expect.stringMatching(/ContainerHostname is required/) });
    expect(out.someNamed).toMatchObject({ code: 'ValidationException', message: expect.stringMatching(/every container .* or for none/) });
    expect(out.twice).toMatchObject({ code: 'ValidationException', message: expect.stringMatching(/more than one container/) });
    expect(out.multiModel).toMatchObject({ code: 'ValidationException', message: expect.stringMatching(/MultiModel/) });
    // What Slipway does not run with a pipeline is refused up front, not run through container 1 only.
    expect(out.transform).toMatchObject({ code: 'ValidationException', message: expect.stringMatching(/inference pipeline .* batch transform/) });
    expect(out.async).toMatchObject({ code: 'ValidationException', message: expect.stringMatching(/inference pipeline .* AsyncInferenceConfig/) });
  });

  it('keep serving a pipeline across a restart (its containers adopted together) and replace an instance when one of its containers dies', async () => {
    await buildImage('pipeline-stage', STAGE);
    const [model, endpoint] = [rnd('adopt'), rnd('adopt')];
    await py(`
sm.create_model(ModelName="${model}", ExecutionRoleArn=ROLE, Containers=[
    {"Image": "${STAGE}", "Environment": {"PIPELINE_ROLE": "transform"}},
    {"Image": "${STAGE}", "Environment": {"PIPELINE_ROLE": "predict"}},
])
deploy("${model}", "${endpoint}")
print("{}")
`);
    const predict = async () => {
      const r = await s.c.rt.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'text/csv', Body: '2,3' }));
      return (JSON.parse(Buffer.from(r.Body!).toString()) as { prediction: number }).prediction;
    };
    expect(await predict()).toBe(5);
    const before = (await containersOf(s.server.home, endpoint)).sort();
    expect(before).toHaveLength(2);

    s.server = await s.server.restart();
    s.c = clients(s.server.url);
    expect(await predict()).toBe(5);
    expect((await containersOf(s.server.home, endpoint)).sort()).toEqual(before);

    // One container of the instance dies: the whole instance is replaced, and the endpoint serves again.
    const engine = await testRuntimeOf();
    const [member] = await engine.listContainers({ 'slipway.name': endpoint, 'slipway.pipeline-host': 'container-2' });
    await engine.killContainer(member!.id, 'SIGKILL');
    await until(
      'a replacement instance to serve',
      async () => {
        const now = await containersOf(s.server.home, endpoint);
        if (now.length !== 2 || now.some((id) => before.includes(id))) return undefined;
        return (await predict().catch(() => undefined)) === 5 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });

  it('fail the endpoint with the failing container named when one container crashes at start or its image is missing, and leave no container behind', async () => {
    await buildImage('pipeline-stage', STAGE);
    const [crash, missing] = [rnd('crash'), rnd('missing')];
    const out = await py<any>(`
import time
sm.create_model(ModelName="${crash}", ExecutionRoleArn=ROLE, Containers=[
    {"Image": "${STAGE}", "Environment": {"PIPELINE_ROLE": "transform"}},
    {"Image": "${ECHO}", "Environment": {"FIXTURE_MODE": "crash"}},
])
sm.create_model(ModelName="${missing}", ExecutionRoleArn=ROLE, Containers=[
    {"Image": "${STAGE}"},
    {"Image": "slipway-test/no-such-image:latest"},
])
for name in ("${crash}", "${missing}"):
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
reasons = {}
deadline = time.time() + 120
while len(reasons) < 2 and time.time() < deadline:
    for name in ("${crash}", "${missing}"):
        d = sm.describe_endpoint(EndpointName=name)
        if d["EndpointStatus"] == "Failed":
            reasons[name] = d["FailureReason"]
    time.sleep(0.5)
print(json.dumps(reasons))
`);
    expect(out[crash]).toMatch(/container container-2: exit code 3/);
    expect(out[crash]).toMatch(/could not load the model \(fixture crash mode\)/);
    expect(out[missing]).toMatch(/slipway-test\/no-such-image:latest.*container container-2/);
    await until('the failed endpoints to have no container', async () => ((await containersOf(s.server.home, crash)).length + (await containersOf(s.server.home, missing)).length === 0 ? true : undefined), { timeoutMs: 30_000 });
  });
});
