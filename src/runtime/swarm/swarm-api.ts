/**
 * @module runtime/swarm/swarm-api — the few Swarm endpoints of the manager's Engine API (v1.41)
 * SwarmRuntime calls, as plain requests: dockerode's service helpers put an update's `version` in
 * the body, and the task list needs filters it does not type.
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Service
 */
import type Docker from 'dockerode';
import { engineMessage, engineStatus, translateError } from '../docker/docker-mapping.js';
import type { RegistryAuth } from '../container-runtime.js';
import type { RawNode, RawService, RawTask, ServiceSpec } from './swarm-mapping.js';

interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as X-Registry-Auth (the modem encodes it; it never reaches the URL). */
  auth?: RegistryAuth;
}

export class SwarmApi {
  constructor(
    readonly docker: Docker,
    private readonly timeoutMs = 15_000,
  ) {}

  private call<T>(c: Call): Promise<T> {
    const query = c.query ?? {};
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `${c.path}?`,
          method: c.method,
          abortSignal: AbortSignal.timeout(this.timeoutMs),
          statusCodes: { 200: true, 201: true, 204: true, 304: true, 400: 'bad parameter', 404: 'not found', 409: 'conflict', 500: 'server error', 503: 'node is not part of a swarm' },
          options: { _query: query, ...(c.body !== undefined ? { _body: c.body } : {}) },
          ...(c.auth ? { authconfig: c.auth } : {}),
        } as Parameters<Docker['modem']['dial']>[0],
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
      );
    });
  }

  /** The service with exactly this id or name (the engine also matches id prefixes: those do not count). */
  async service(idOrName: string): Promise<RawService | undefined> {
    try {
      const s = await this.call<RawService>({ method: 'GET', path: `/services/${encodeURIComponent(idOrName)}` });
      return s.ID === idOrName || s.Spec.Name === idOrName ? s : undefined;
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw translateError(err, `inspect service ${idOrName}`);
    }
  }

  async services(labels: Record<string, string>): Promise<RawService[]> {
    const filters = JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
    try {
      return await this.call<RawService[]>({ method: 'GET', path: '/services', query: { filters } });
    } catch (err) {
      throw translateError(err, 'list services');
    }
  }

  async tasks(serviceIds: string[]): Promise<RawTask[]> {
    if (serviceIds.length === 0) return [];
    try {
      return await this.call<RawTask[]>({ method: 'GET', path: '/tasks', query: { filters: JSON.stringify({ service: serviceIds }) } });
    } catch (err) {
      throw translateError(err, 'list tasks');
    }
  }

  async nodes(): Promise<RawNode[]> {
    try {
      return await this.call<RawNode[]>({ method: 'GET', path: '/nodes' });
    } catch (err) {
      throw translateError(err, 'list nodes');
    }
  }

  /**
   * `auth`: what every node pulls the image with; Swarm keeps it in the service (later updates
   * without the header keep it).
   */
  async create(spec: ServiceSpec, auth?: RegistryAuth): Promise<string> {
    try {
      const r = await this.call<{ ID: string }>({ method: 'POST', path: '/services/create', body: spec, ...(auth ? { auth } : {}) });
      return r.ID;
    } catch (err) {
      throw translateError(err, `create container ${spec.Name}`);
    }
  }

  /**
   * Applies `change` to the service's current spec; retries when another writer updated it in
   * between (Swarm's optimistic "update out of sequence").
   */
  async update(id: string, change: (spec: ServiceSpec) => ServiceSpec | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const s = await this.service(id);
      if (!s) throw translateError({ statusCode: 404, json: { message: `No such container: ${id}` } }, `update ${id}`);
      const next = change(structuredClone(s.Spec));
      if (!next) return;
      try {
        await this.call({ method: 'POST', path: `/services/${s.ID}/update`, query: { version: String(s.Version.Index) }, body: next });
        return;
      } catch (err) {
        if (attempt < 5 && /out of sequence/i.test(engineMessage(err))) continue;
        throw translateError(err, `update ${id}`);
      }
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.call({ method: 'DELETE', path: `/services/${encodeURIComponent(id)}` });
    } catch (err) {
      throw translateError(err, `remove container ${id}`);
    }
  }
}
