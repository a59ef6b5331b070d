/** @module console/pages/storage — browser for the embedded S3: buckets, prefixes, preview, download, upload. */
import { useState } from 'react';
import { createBucket, deleteObject, getObjectText, listBuckets, listObjects, objectUrl, putObject, type S3Listing } from '../api/client.js';
import { DataTable, type Column } from '../components/data-table.js';
import { EmptyState, ErrorBox, fmtBytes, fmtTime, Loading, PageHeader, Section } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { Link, navigate, seg, setQuery, useLocation } from '../router.js';

export function BucketsPage() {
  const buckets = usePoll(() => listBuckets(), [], 10_000);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    await createBucket(name);
    navigate(`/storage/${seg(name)}`);
  });
  return (
    <>
      <PageHeader title="Storage" />
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <label>
          New bucket <input value={name} onChange={(e) => setName(e.target.value.toLowerCase())} pattern="[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]" required placeholder="my-bucket" />
        </label>
        <button type="submit" disabled={create.busy}>
          Create bucket
        </button>
      </form>
      <ErrorBox error={create.error} what="Creating the bucket" />
      <ErrorBox error={buckets.error} what="Listing buckets" onRetry={buckets.reload} />
      {!buckets.data ? (
        buckets.error ? null : <Loading />
      ) : buckets.data.length === 0 ? (
        <EmptyState title="No buckets yet">
          <p>
            Create one above or with <code>aws s3 mb s3://my-bucket --endpoint-url {window.location.origin}</code>.
          </p>
        </EmptyState>
      ) : (
        <ul className="list" aria-label="Buckets">
          {buckets.data.map((b) => (
            <li key={b.name}>
              <Link to={`/storage/${seg(b.name)}`}>{b.name}</Link> <span className="muted">created {fmtTime(b.created)}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

interface Entry {
  kind: 'prefix' | 'object';
  key: string;
  size?: number;
  lastModified?: string;
}

export function BucketPage({ bucket }: { bucket: string }) {
  const { query } = useLocation();
  const prefix = query.get('prefix') ?? '';
  const selected = query.get('key');
  const listing = usePoll(async () => {
    // Follow continuation tokens so big prefixes show fully (the table is virtualised).
    const all: S3Listing = { prefixes: [], objects: [] };
    let token: string | undefined;
    do {
      const page = await listObjects(bucket, prefix, token);
      all.prefixes.push(...page.prefixes);
      all.objects.push(...page.objects);
      token = page.nextToken;
    } while (token && all.objects.length < 20_000);
    return all;
  }, [bucket, prefix]);
  const upload = useAction(async (files: FileList) => {
    for (const f of Array.from(files)) await putObject(bucket, prefix + f.name, f, f.type || undefined);
    listing.reload();
  });

  const entries: Entry[] = [
    ...(listing.data?.prefixes ?? []).map((p) => ({ kind: 'prefix' as const, key: p })),
    ...(listing.data?.objects ?? []).map((o) => ({ kind: 'object' as const, key: o.key, size: o.size, lastModified: o.lastModified })),
  ];
  const parts = prefix.split('/').filter(Boolean);
  const columns: Column<Entry>[] = [
    {
      id: 'name',
      header: 'Name',
      width: '3fr',
      render: (e) =>
        e.kind === 'prefix' ? (
          <Link to={`/storage/${seg(bucket)}?prefix=${encodeURIComponent(e.key)}`}>{e.key.slice(prefix.length)}</Link>
        ) : (
          <Link to={`/storage/${seg(bucket)}?prefix=${encodeURIComponent(prefix)}&key=${encodeURIComponent(e.key)}`}>{e.key.slice(prefix.length)}</Link>
        ),
      sort: (e) => (e.kind === 'prefix' ? '0' : '1') + e.key,
    },
    { id: 'size', header: 'Size', width: '110px', render: (e) => (e.kind === 'object' ? fmtBytes(e.size) : ''), sort: (e) => e.size ?? -1 },
    { id: 'modified', header: 'Last modified', width: '2fr', render: (e) => (e.lastModified ? fmtTime(e.lastModified) : ''), sort: (e) => e.lastModified ?? '' },
  ];

  return (
    <>
      <PageHeader title={bucket} crumbs={[{ to: '/storage', label: 'Storage' }]}>
        <nav aria-label="Prefix" className="crumbs">
          <Link to={`/storage/${seg(bucket)}`}>{bucket}</Link>
          {parts.map((p, i) => (
            <span key={i}>
              {' / '}
              <Link to={`/storage/${seg(bucket)}?prefix=${encodeURIComponent(parts.slice(0, i + 1).join('/') + '/')}`}>{p}</Link>
            </span>
          ))}
        </nav>
      </PageHeader>
      <div className="filters">
        <label>
          Upload to {prefix || 'the bucket root'}{' '}
          <input type="file" multiple onChange={(e) => e.target.files?.length && void upload.run(e.target.files)} aria-label="Upload files" />
        </label>
        {upload.busy && <span className="muted">Uploading…</span>}
      </div>
      <ErrorBox error={upload.error} what="Uploading" />
      <ErrorBox error={listing.error} what="Listing objects" onRetry={listing.reload} />
      <div className={selected ? 'grid-2' : ''}>
        <div>
          {!listing.data ? (
            listing.error ? null : <Loading />
          ) : entries.length === 0 ? (
            <EmptyState title={prefix ? 'This prefix is empty' : 'This bucket is empty'}>
              <p>Upload files above, or copy with <code>aws s3 cp</code>.</p>
            </EmptyState>
          ) : (
            <DataTable label={`Objects in ${bucket}/${prefix}`} rows={entries} columns={columns} rowKey={(e) => e.kind + e.key} initialSort={{ id: 'name', desc: false }} />
          )}
        </div>
        {selected && <ObjectPreview bucket={bucket} objectKey={selected} onDeleted={listing.reload} />}
      </div>
    </>
  );
}

const TEXTUAL = /^(text\/|application\/(json|xml|x-ndjson|jsonlines|csv|x-yaml|yaml))/;

function ObjectPreview({ bucket, objectKey, onDeleted }: { bucket: string; objectKey: string; onDeleted: () => void }) {
  const isImage = /\.(png|jpe?g|gif|svg|webp)$/i.test(objectKey);
  const preview = usePoll(() => (isImage ? Promise.resolve(null) : getObjectText(bucket, objectKey)), [bucket, objectKey]);
  const del = useAction(async () => {
    if (!window.confirm(`Delete s3://${bucket}/${objectKey}?`)) return;
    await deleteObject(bucket, objectKey);
    setQuery({ key: null });
    onDeleted();
  });
  const url = objectUrl(bucket, objectKey);
  const p = preview.data;
  const textual = p && (TEXTUAL.test(p.type) || /\.(txt|csv|json|jsonl|log|py|yaml|yml|md|out)$/i.test(objectKey) || !/[\x00-\x08\x0e-\x1f]/.test(p.text.slice(0, 2000)));
  return (
    <Section
      title={objectKey.split('/').pop() ?? objectKey}
      actions={
        <div className="actions">
          <a className="button" href={url} download={objectKey.split('/').pop()}>
            Download
          </a>
          <button type="button" className="danger" onClick={() => void del.run()} disabled={del.busy}>
            Delete
          </button>
          <button type="button" onClick={() => setQuery({ key: null })} aria-label="Close preview">
            ✕
          </button>
        </div>
      }
    >
      <p className="small">
        <code>s3://{bucket}/{objectKey}</code>
      </p>
      <ErrorBox error={del.error} what="Deleting" />
      <ErrorBox error={preview.error} what="Reading the object" onRetry={preview.reload} />
      {isImage ? (
        <img src={url} alt={objectKey} className="preview-img" />
      ) : !p ? (
        preview.error ? null : <Loading />
      ) : textual ? (
        <pre className="response-body" tabIndex={0} data-testid="object-preview">
          {p.text}
          {p.truncated && '\n… (first 64 KiB shown; download for the rest)'}
        </pre>
      ) : (
        <p className="muted">Binary object ({p.type || 'unknown type'}); download it to open.</p>
      )}
    </Section>
  );
}
