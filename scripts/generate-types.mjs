/**
 * @module scripts/generate-types — renders the TypeScript types of the operations a service routes
 * (src/services/<svc>/generated/types.ts): the input and output shape of each, every shape reachable
 * from them, and an `Operations` map (operation name → { input; output }) that the service's
 * operation table is checked against (protocol/operation-table.ts, OperationHandlers).
 *
 * Structures become object types (required members per the model), enums string-literal unions,
 * lists arrays, maps index signatures; scalars are written inline, so only structures and enums
 * get names. Timestamps and blobs are typed as the service's protocol carries them (PROTOCOL_TYPES).
 * Used by generate-validators.mjs; plain Node ESM without dependencies, like it.
 */

/** How each wire protocol hands timestamps and blobs to a handler (and takes them back). */
const PROTOCOL_TYPES = {
  json: {
    timestamp: [
      'JSON 1.0/1.1: timestamps arrive as epoch seconds (a number, fractional allowed), as the SDKs',
      'send them; the validator also lets an ISO 8601 string through. A handler answers epoch seconds',
      '(resources/wire-time.ts) or a Date, which the JSON surface writes as epoch seconds.',
    ],
    timestampType: 'number | string | Date',
    blob: 'base64 text, as JSON carries it.',
    blobType: 'string',
  },
  query: {
    timestamp: ['Query: every parameter arrives as text, so an ISO 8601 string; a handler answers ISO 8601 text or a Date (rendered as ISO 8601).'],
    timestampType: 'string | Date',
    blob: 'base64 text, as query parameters and XML carry it.',
    blobType: 'string',
  },
  'smithy-rpc-v2-cbor': {
    timestamp: [
      'One table serves CBOR (a Date, tag 1), JSON 1.0 (epoch seconds) and query (ISO 8601 text), so',
      'a handler sees any of the three and may answer with a Date or epoch seconds.',
    ],
    timestampType: 'Date | number | string',
    blob: 'bytes in CBOR, base64 text in JSON and query.',
    blobType: 'Uint8Array | string',
  },
};

/** Names the generated file declares or uses itself; a model shape of that name would shadow them. */
const RESERVED = new Set(['Timestamp', 'Blob', 'Empty', 'Operations', 'Date', 'Uint8Array', 'Record']);

const NUMERIC = new Set(['integer', 'long', 'float', 'double', 'bigdecimal', 'biginteger', 'byte', 'short']);

/** First sentence of a model documentation string, tags stripped, bounded; '' when there is none. */
export function firstSentence(html) {
  if (!html) return '';
  const text = html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
  const end = text.search(/\.(\s|$)/);
  let s = end >= 0 ? text.slice(0, end + 1) : text;
  if (s.length > 160) s = `${s.slice(0, 157).trimEnd()}…`;
  return s.replace(/\*\//g, '*\\/');
}

const isIdentifier = (s) => /^[A-Za-z_$][\w$]*$/.test(s);
const propName = (s) => (isIdentifier(s) ? s : JSON.stringify(s));

/** Shape names that get a declaration: structures and enum strings. */
function isNamed(shape) {
  return shape.type === 'structure' || (shape.type === 'string' && Array.isArray(shape.enum));
}

/** The TS type expression for a reference to `name`. */
function typeRef(model, name) {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model references missing shape ${name}`);
  if (isNamed(shape)) return name;
  switch (shape.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'Timestamp';
    case 'blob':
      return 'Blob';
    case 'list': {
      const inner = typeRef(model, shape.member.shape);
      return /^[\w$]+$/.test(inner) ? `${inner}[]` : `(${inner})[]`;
    }
    case 'map':
      return `{ [key: string]: ${typeRef(model, shape.value.shape)} }`;
    case 'document':
      return 'unknown';
    default:
      if (NUMERIC.has(shape.type)) return 'number';
      throw new Error(`unhandled shape type ${shape.type} (${name})`);
  }
}

/** Names of every shape reachable from `roots` (operation input or output shapes), sorted. */
export function reachableShapes(model, roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop();
    if (seen.has(name)) continue;
    const shape = model.shapes[name];
    if (!shape) throw new Error(`model references missing shape ${name}`);
    seen.add(name);
    if (shape.members) for (const m of Object.values(shape.members)) stack.push(m.shape);
    for (const k of ['member', 'key', 'value']) if (shape[k]) stack.push(shape[k].shape);
  }
  return [...seen].sort();
}

function docLines(doc, indent) {
  const s = firstSentence(doc);
  return s ? [`${indent}/** ${s} */`] : [];
}

function renderShape(model, name) {
  const shape = model.shapes[name];
  if (shape.type === 'string') {
    const values = [...shape.enum].map((v) => JSON.stringify(v)).join(' | ');
    return [...docLines(shape.documentation, ''), `export type ${name} = ${values};`];
  }
  const required = new Set(shape.required ?? []);
  const members = Object.keys(shape.members ?? {}).sort();
  if (members.length === 0) return [...docLines(shape.documentation, ''), `export type ${name} = Empty;`];
  // A union sets exactly one member; typed as all-optional, the validator enforces the rest.
  // A type literal rather than an interface: it has an implicit index signature, so a value of it
  // can be stored in the open resource documents of resources/ (`[member: string]: unknown`).
  const lines = [...docLines(shape.documentation, ''), `export type ${name} = {`];
  for (const m of members) {
    const member = shape.members[m];
    lines.push(...docLines(member.documentation, '  '));
    const opt = required.has(m) && !shape.union ? '' : '?';
    lines.push(`  ${propName(m)}${opt}: ${typeRef(model, member.shape)};`);
  }
  lines.push('};');
  return lines;
}

/**
 * Renders types.ts for one service.
 * @param svc `{ name, modelPath, types: { path, operations } }`
 */
export function renderTypes(svc, model) {
  const proto = PROTOCOL_TYPES[model.metadata.protocol];
  if (!proto) throw new Error(`no timestamp/blob typing for protocol ${model.metadata.protocol}`);
  const ops = [...svc.types.operations].sort().map((name) => {
    const op = model.operations[name];
    if (!op) throw new Error(`${svc.name}: operation ${name} is not in the model`);
    return { name, input: op.input?.shape ?? null, output: op.output?.shape ?? null, doc: op.documentation };
  });
  const roots = ops.flatMap((o) => [o.input, o.output]).filter((s) => s !== null);
  const named = reachableShapes(model, roots).filter((n) => isNamed(model.shapes[n]));
  const clash = named.filter((n) => RESERVED.has(n));
  if (clash.length > 0) throw new Error(`${svc.name}: shape names clash with generated helpers: ${clash.join(', ')}`);
  const opType = (s) => (s === null ? 'Empty' : typeRef(model, s));
  const lines = [
    `// GENERATED by scripts/generate-validators.mjs from shared/aws-models/${svc.modelPath} — do not edit; run npm run generate`,
    `/** @module ${svc.types.path.replace(/^src\//, '').replace(/\.ts$/, '')} — input and output types of the operations Slipway routes, from the official model. */`,
    '',
    ...proto.timestamp.map((l, i, all) => `${i === 0 ? '/** ' : ' * '}${l}${i === all.length - 1 ? ' */' : ''}`),
    `export type Timestamp = ${proto.timestampType};`,
    `/** Blobs: ${proto.blob} */`,
    `export type Blob = ${proto.blobType};`,
    '/** An operation without an input or output shape. */',
    'export type Empty = Record<string, never>;',
    '',
    '/** Operation name → its input and output. */',
    'export interface Operations {',
    ...ops.flatMap((o) => [...docLines(o.doc, '  '), `  ${o.name}: { input: ${opType(o.input)}; output: ${opType(o.output)} };`]),
    '}',
    '',
  ];
  for (const n of named) lines.push(...renderShape(model, n), '');
  return lines.join('\n');
}
