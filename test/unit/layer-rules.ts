/**
 * @module test/unit/layer-rules — the layer rules of docs/architecture.md as data, and the check
 * of an import graph against them (./import-rules.test.ts runs it over `src/`).
 *
 *   platform ◀ protocol ◀ resources ◀ storage, runtime, metrics ◀ services, controllers, dataplane, registry ◀ server ◀ cli
 *
 * (◀ = may be imported by). Services, controllers, the data plane and the image registry never
 * import one another: they meet only in the composition root (server/app.ts, server/ecr-registry.ts).
 */
import type { ImportEdge } from './import-graph.js';

export const LAYERS = ['platform', 'protocol', 'resources', 'storage', 'runtime', 'metrics', 'services', 'controllers', 'dataplane', 'registry', 'server', 'cli', 'console'] as const;
type Layer = (typeof LAYERS)[number];

function layerOf(file: string): Layer | undefined {
  const m = /^src\/([^/]+)\//.exec(file);
  return m && (LAYERS as readonly string[]).includes(m[1]!) ? (m[1] as Layer) : undefined;
}

interface Rule {
  from: Layer;
  never: readonly Layer[];
  why: string;
}

const ABOVE = (layer: Layer): Layer[] => LAYERS.filter((l) => l !== layer && !LAYERS.slice(0, LAYERS.indexOf(layer)).includes(l));

export const RULES: readonly Rule[] = [
  { from: 'platform', never: ABOVE('platform'), why: 'logger, config and clock import nothing of ours' },
  { from: 'protocol', never: ABOVE('protocol'), why: 'wire formats know no resources, stores, handlers or wiring' },
  { from: 'resources', never: ABOVE('resources'), why: 'the domain knows no storage, engine, handlers or wiring' },
  { from: 'storage', never: ['runtime', 'metrics', 'services', 'controllers', 'dataplane', 'registry', 'server', 'cli', 'console'], why: 'storage knows no API, reconcilers, engine or wiring' },
  { from: 'runtime', never: ['resources', 'storage', 'metrics', 'services', 'controllers', 'dataplane', 'registry', 'server', 'cli', 'console'], why: 'the engine adapter knows no resources, storage or wiring' },
  { from: 'metrics', never: ['runtime', 'services', 'controllers', 'dataplane', 'registry', 'server', 'cli', 'console'], why: 'metrics know no engine, handlers, reconcilers or wiring' },
  { from: 'services', never: ['runtime', 'controllers', 'dataplane', 'registry', 'server', 'cli', 'console'], why: 'operations write desired state: no Docker, no reconcilers, deps come as parameters' },
  { from: 'controllers', never: ['services', 'dataplane', 'registry', 'server', 'cli', 'console'], why: 'reconcilers never call handlers and publish routes through an interface they are given' },
  { from: 'dataplane', never: ['services', 'controllers', 'registry', 'server', 'cli', 'console'], why: 'the data plane reads published routes only; deps come as parameters' },
  { from: 'registry', never: ['services', 'controllers', 'dataplane', 'server', 'cli', 'console'], why: 'the image registry (docker push/pull) knows no handlers, reconcilers or wiring' },
  { from: 'server', never: ['cli'], why: 'the composition root serves the apps, it does not run them' },
  { from: 'console', never: ['services', 'controllers', 'dataplane', 'registry', 'runtime', 'storage', 'cli'], why: 'the console uses the public API' },
];

/** Circles allowed: the migrations' index lists the migrations, which import its Migration type. */
export const ALLOWED_CIRCLE = /^src\/storage\/migrations\//;

export function violations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    if (!from || !to || from === to) continue;
    for (const r of RULES) {
      if (r.from === from && r.never.includes(to)) out.push(`${e.from} -> ${e.to} (${from} never imports ${to}: ${r.why})`);
    }
  }
  return out;
}
