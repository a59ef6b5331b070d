/** @module console/pages/models — models and endpoint configs: list, detail, create, delete. */
import { useState } from 'react';
import { listAll, sm, type Json } from '../api/client.js';
import { DataTable, type Column } from '../components/data-table.js';
import { ActionForm, DialogForm } from '../components/action-form.js';
import { DeleteButton } from '../components/delete-button.js';
import { ListState } from '../components/list-page.js';
import { VariantTable } from '../components/variant-table.js';
import { ErrorBox, fmtTime, KeyValues, Loading, PageHeader, Section } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { Link, navigate, seg } from '../router.js';
import { S3Link } from './training-jobs.js';

export function ModelsPage() {
  const models = usePoll(() => listAll('ListModels', 'Models', { SortBy: 'CreationTime', SortOrder: 'Descending' }), [], 5000);
  const [open, setOpen] = useState(false);
  const columns: Column<Json>[] = [
    { id: 'name', header: 'Name', width: '3fr', render: (m) => <Link to={`/models/${seg(m.ModelName)}`}>{m.ModelName}</Link>, sort: (m) => m.ModelName },
    { id: 'created', header: 'Created', width: '2fr', render: (m) => fmtTime(m.CreationTime), sort: (m) => String(m.CreationTime) },
  ];
  return (
    <>
      <PageHeader
        title="Models"
        actions={
          <button type="button" className="primary" onClick={() => setOpen(true)}>
            Create model
          </button>
        }
      />
      <ListState
        list={models}
        what="Listing models"
        emptyTitle="No models yet"
        empty={<p>Create one from an image and a model artifact, or use “Deploy this model” on a completed training job.</p>}
      >
        <DataTable label="Models" rows={models.data ?? []} columns={columns} rowKey={(m) => m.ModelName} initialSort={{ id: 'created', desc: true }} />
      </ListState>
      <CreateModelDialog open={open} onClose={() => setOpen(false)} />
    </>
  );
}

function CreateModelDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [name, setName] = useState('');
  const [image, setImage] = useState('');
  const [data, setData] = useState('');
  const [role, setRole] = useState('arn:aws:iam::000000000000:role/slipway');
  const create = useAction(async () => {
    await sm('CreateModel', {
      ModelName: name,
      PrimaryContainer: { Image: image, ...(data ? { ModelDataUrl: data } : {}) },
      ExecutionRoleArn: role,
    });
    navigate(`/models/${seg(name)}`);
  });
  return (
    <DialogForm open={open} title="Create model" onClose={onClose} action={create} what="Creating the model" submit="Create">
        <label className="field">
          Model name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          Image
          <input required value={image} onChange={(e) => setImage(e.target.value)} placeholder="my-inference:latest" />
        </label>
        <label className="field">
          Model data (optional)
          <input value={data} onChange={(e) => setData(e.target.value)} placeholder="s3://bucket/path/model.tar.gz" />
        </label>
        <label className="field">
          Execution role ARN
          <input required value={role} onChange={(e) => setRole(e.target.value)} />
        </label>
    </DialogForm>
  );
}

export function ModelDetailPage({ name }: { name: string }) {
  const m = usePoll((s) => sm('DescribeModel', { ModelName: name }, s), [name]);
  const d = m.data;
  const containers: Json[] = d ? (d.Containers ?? (d.PrimaryContainer ? [d.PrimaryContainer] : [])) : [];
  return (
    <>
      <PageHeader title={name} crumbs={[{ to: '/models', label: 'Models' }]} actions={<DeleteButton label="Delete model" op="DeleteModel" body={{ ModelName: name }} back="/models" />} />
      <ErrorBox error={m.error} what="Loading the model" onRetry={m.reload} />
      {!d ? (
        m.error ? null : <Loading />
      ) : (
        <>
          <Section title="Summary">
            <KeyValues items={[['ARN', d.ModelArn], ['Created', fmtTime(d.CreationTime)], ['Role', d.ExecutionRoleArn]]} />
          </Section>
          <Section title="Containers">
            {containers.map((c, i) => (
              <KeyValues
                key={i}
                items={[
                  ['Image', <code key="i">{c.Image}</code>],
                  ['Model data', <S3Link key="d" uri={c.ModelDataUrl} download />],
                  ['Environment', c.Environment ? <code key="e">{JSON.stringify(c.Environment)}</code> : '—'],
                ]}
              />
            ))}
          </Section>
        </>
      )}
    </>
  );
}

export function EndpointConfigsPage() {
  const configs = usePoll(() => listAll('ListEndpointConfigs', 'EndpointConfigs', { SortBy: 'CreationTime', SortOrder: 'Descending' }), [], 5000);
  const columns: Column<Json>[] = [
    {
      id: 'name',
      header: 'Name',
      width: '3fr',
      render: (c) => <Link to={`/endpoint-configs/${seg(c.EndpointConfigName)}`}>{c.EndpointConfigName}</Link>,
      sort: (c) => c.EndpointConfigName,
    },
    { id: 'created', header: 'Created', width: '2fr', render: (c) => fmtTime(c.CreationTime), sort: (c) => String(c.CreationTime) },
  ];
  return (
    <>
      <PageHeader
        title="Endpoint configs"
        actions={
          <Link to="/endpoint-configs/new" className="button primary">
            Create endpoint config
          </Link>
        }
      />
      <ListState
        list={configs}
        what="Listing endpoint configs"
        emptyTitle="No endpoint configs yet"
        empty={<p>An endpoint config lists the variants (model, instance type and count, weight) an endpoint serves. Create a model first, then a config.</p>}
      >
        <DataTable label="Endpoint configs" rows={configs.data ?? []} columns={columns} rowKey={(c) => c.EndpointConfigName} initialSort={{ id: 'created', desc: true }} />
      </ListState>
    </>
  );
}

export function EndpointConfigDetailPage({ name }: { name: string }) {
  const c = usePoll((s) => sm('DescribeEndpointConfig', { EndpointConfigName: name }, s), [name]);
  const d = c.data;
  return (
    <>
      <PageHeader
        title={name}
        crumbs={[{ to: '/endpoint-configs', label: 'Endpoint configs' }]}
        actions={<DeleteButton label="Delete endpoint config" op="DeleteEndpointConfig" body={{ EndpointConfigName: name }} back="/endpoint-configs" />}
      />
      <ErrorBox error={c.error} what="Loading the endpoint config" onRetry={c.reload} />
      {!d ? (
        c.error ? null : <Loading />
      ) : (
        <Section title="Production variants">
          <VariantsTable variants={d.ProductionVariants ?? []} />
        </Section>
      )}
    </>
  );
}

function VariantsTable({ variants }: { variants: Json[] }) {
  return (
    <VariantTable
      variants={variants}
      columns={[
        ['Model', (v) => <Link to={`/models/${seg(v.ModelName)}`}>{v.ModelName}</Link>],
        ['Instance type', (v) => v.InstanceType ?? 'serverless'],
        ['Count', (v) => v.InitialInstanceCount ?? '—'],
        ['Weight', (v) => v.InitialVariantWeight ?? 1],
      ]}
    />
  );
}

interface VariantDraft {
  VariantName: string;
  ModelName: string;
  InstanceType: string;
  InitialInstanceCount: number;
  InitialVariantWeight: number;
}

export function EndpointConfigCreatePage() {
  const models = usePoll(() => listAll('ListModels', 'Models'), []);
  const [name, setName] = useState(`config-${Date.now() % 1000000}`);
  const [variants, setVariants] = useState<VariantDraft[]>([
    { VariantName: 'AllTraffic', ModelName: '', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
  ]);
  const patch = (i: number, p: Partial<VariantDraft>) => setVariants((vs) => vs.map((v, j) => (j === i ? { ...v, ...p } : v)));
  const create = useAction(async () => {
    await sm('CreateEndpointConfig', { EndpointConfigName: name, ProductionVariants: variants });
    navigate(`/endpoint-configs/${seg(name)}`);
  });
  const modelNames: string[] = (models.data ?? []).map((m) => m.ModelName);
  return (
    <>
      <PageHeader title="Create endpoint config" crumbs={[{ to: '/endpoint-configs', label: 'Endpoint configs' }]} />
      <ActionForm className="form" action={create}>
        <label className="field">
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {modelNames.length === 0 && models.data && <p className="hint">There are no models yet; create one on the Models page first.</p>}
        {variants.map((v, i) => (
          <fieldset key={i} className="variant">
            <legend>Variant {i + 1}</legend>
            <label className="field">
              Variant name
              <input required value={v.VariantName} onChange={(e) => patch(i, { VariantName: e.target.value })} />
            </label>
            <label className="field">
              Model
              <select required value={v.ModelName} onChange={(e) => patch(i, { ModelName: e.target.value })}>
                <option value="">Choose a model</option>
                {modelNames.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </label>
            <label className="field">
              Instance type
              <input required value={v.InstanceType} onChange={(e) => patch(i, { InstanceType: e.target.value })} />
            </label>
            <label className="field">
              Instance count
              <input type="number" min={1} required value={v.InitialInstanceCount} onChange={(e) => patch(i, { InitialInstanceCount: Number(e.target.value) })} />
            </label>
            <label className="field">
              Weight
              <input type="number" min={0} step="any" required value={v.InitialVariantWeight} onChange={(e) => patch(i, { InitialVariantWeight: Number(e.target.value) })} />
            </label>
            {variants.length > 1 && (
              <button type="button" onClick={() => setVariants((vs) => vs.filter((_, j) => j !== i))}>
                Remove variant
              </button>
            )}
          </fieldset>
        ))}
        <div className="actions">
          <button
            type="button"
            onClick={() =>
              setVariants((vs) => [...vs, { VariantName: `Variant${vs.length + 1}`, ModelName: '', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }])
            }
          >
            Add variant
          </button>
          <button type="submit" className="primary" disabled={create.busy}>
            Create endpoint config
          </button>
        </div>
        <ErrorBox error={create.error} what="Creating the endpoint config" />
      </ActionForm>
    </>
  );
}
