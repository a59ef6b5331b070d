// bench/training — training-job platform overhead, input staging and model packaging.
//
//   npm run build && node bench/training/run.mjs [runs=10] [stageMiB=1024] [modelMiB=500]
//
// 1. Overhead: CreateTrainingJob → Completed (polled every 10 ms) of the no-op fixture image vs
//    `docker run --rm IMAGE train` of the same image (the engine's own limit); medians of N runs.
//    Target: median overhead ≤ 0.3 s.
// 2. Staging: stageInputs of a 1 GiB channel (16 × 64 MiB objects in the embedded store) into a
//    job workspace — hard links, so it should not depend on the size. Target ≤ 0.2 s.
// 3. Packaging: uploadTarGz of a 500 MB model directory into the store vs `tar czf` of the same
//    directory to a file. Target: Slipway throughput ≥ 0.8 × tar's.
// Results: bench/results/training.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { startSlipway } from '../../dist/server/app.js';
import { openDatabase } from '../../dist/storage/sqlite/database.js';
import { SqliteObjectStore } from '../../dist/storage/sqlite/sqlite-object-store.js';
import { hostWorkspace, prepareWorkspace, stageInputs } from '../../dist/controllers/training-job/workspace.js';
import { uploadTarGz } from '../../dist/controllers/training-job/packaging.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.argv[2] ?? 10);
const STAGE_MIB = Number(process.argv[3] ?? 1024);
const MODEL_MIB = Number(process.argv[4] ?? 500);
const IMAGE = 'slipway-fixture/noop:latest';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (t0) => (performance.now() - t0) / 1000;

async function overhead() {
  execFileSync('docker', ['build', '-q', '-t', IMAGE, join(ROOT, 'test/fixtures/images/noop')]);
  const docker = [];
  spawnSync('docker', ['run', '--rm', IMAGE, 'train']); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync('docker', ['run', '--rm', IMAGE, 'train']);
    if (r.status !== 0) throw new Error(`docker run failed: ${r.stderr}`);
    docker.push(secs(t0));
  }
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-train-'));
  const srv = await startSlipway({ home, port: 0, host: '127.0.0.1' });
  const sm = new SageMakerClient({ endpoint: srv.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const creds = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  await new S3Client({ endpoint: srv.url, forcePathStyle: true, ...creds }).send(new CreateBucketCommand({ Bucket: 'bench-out' }));
  const slipway = [];
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      const name = `bench-${process.pid}-${i}`;
      const t0 = performance.now();
      await sm.send(
        new CreateTrainingJobCommand({
          TrainingJobName: name,
          RoleArn: 'arn:aws:iam::123456789012:role/r',
          AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
          OutputDataConfig: { S3OutputPath: 's3://bench-out/out' },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
          StoppingCondition: { MaxRuntimeInSeconds: 300 },
        }),
      );
      for (;;) {
        const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
        if (d.TrainingJobStatus === 'Completed') break;
        if (d.TrainingJobStatus === 'Failed') throw new Error(d.FailureReason);
        await new Promise((r) => setTimeout(r, 10));
      }
      if (i > 0) slipway.push(secs(t0)); // the first run warms caches, as docker's warm-up run does
    }
  } finally {
    await srv.close();
    rmSync(home, { recursive: true, force: true });
  }
  return { runs: RUNS, dockerRunMedianSeconds: median(docker), slipwayMedianSeconds: median(slipway), medianOverheadSeconds: median(slipway) - median(docker), docker, slipway };
}

async function stagingAndPackaging() {
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-stage-'));
  try {
    const db = openDatabase(join(home, 'slipway.db'));
    const objects = new SqliteObjectStore(db, join(home, 'objects'));
    await objects.createBucket('data');
    const chunk = randomBytes(1 << 20);
    const objectsCount = Math.max(1, Math.round(STAGE_MIB / 64));
    const perObject = Math.round(STAGE_MIB / objectsCount);
    for (let i = 0; i < objectsCount; i++) {
      await objects.putObject('data', `train/part-${String(i).padStart(3, '0')}`, Readable.from((function* () { for (let j = 0; j < perObject; j++) yield chunk; })()));
    }
    const doc = {
      TrainingJobName: 'bench',
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/train/' } } }],
    };
    const ws = hostWorkspace(join(home, 'work'), 'bench', 'algo-1');
    await prepareWorkspace(ws, doc, 'algo-1');
    const t0 = performance.now();
    const st = await stageInputs(objects, ws, doc, 0);
    const stagingSeconds = secs(t0);

    // A model directory of MODEL_MIB: half random (weights), half repetitive text (vocab, configs).
    const modelDir = join(home, 'model');
    mkdirSync(modelDir);
    const files = Math.max(2, Math.round(MODEL_MIB / 50));
    const text = Buffer.from('token_embedding layer.0.attention.weight 0.0123 -0.4567 0.8910\n'.repeat(16384)).subarray(0, 1 << 20);
    for (let f = 0; f < files; f++) {
      const mib = Math.round(MODEL_MIB / files);
      const parts = [];
      for (let j = 0; j < mib; j++) parts.push(f % 2 ? text : randomBytes(1 << 20));
      writeFileSync(join(modelDir, `shard-${f}.bin`), Buffer.concat(parts));
    }
    execFileSync('sync');
    const t1 = performance.now();
    execFileSync('tar', ['czf', join(home, 'model.tar.gz'), '-C', modelDir, '.']);
    const tarSeconds = secs(t1);
    await objects.createBucket('out');
    const t2 = performance.now();
    await uploadTarGz(objects, modelDir, 's3://out/bench/output/model.tar.gz');
    const slipwaySeconds = secs(t2);
    db.close();
    return {
      staging: { mib: STAGE_MIB, files: st.files, linked: st.linked, seconds: stagingSeconds },
      packaging: { mib: MODEL_MIB, tarCzfSeconds: tarSeconds, slipwaySeconds, relativeThroughput: tarSeconds / slipwaySeconds },
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const o = await overhead();
const sp = await stagingAndPackaging();
const result = {
  date: new Date().toISOString(),
  host: { cpus: (await import('node:os')).cpus().length },
  overhead: o,
  ...sp,
  targets: {
    overheadSeconds: { target: 0.3, met: o.medianOverheadSeconds <= 0.3 },
    stagingSeconds: { target: 0.2, met: sp.staging.seconds <= 0.2 },
    packagingRelativeThroughput: { target: 0.8, met: sp.packaging.relativeThroughput >= 0.8 },
  },
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/training.json'), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
process.exit(0);
