/**
 * @module controllers/staging/collect-staged — the way back from staged containers (docs/cluster.md,
 * "Data staging on the node the engine chose"): for each host, an upload session into its
 * workspace folder here and `collectStaged` on the engine, so finalize reads the files as on one
 * engine. Shared by training (model/, output/) and processing (output/, each ProcessingOutput).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CollectPlan, ContainerRuntime } from '../../runtime/container-runtime.js';
import type { StagingSessions } from './staging-sessions.js';

export interface StagedHost {
  /** The container (id or name). */
  id: string;
  /** The host's workspace folder here: files land at `root/<path relative to the mount>`. */
  root: string;
  /** Folders (relative to the mount) sent back; their top folders are the only ones the session accepts. */
  paths: string[];
}

/**
 * Brings every host's folders back, all hosts at once. Returns the first failure's words, or
 * undefined when everything arrived.
 */
export async function collectStagedHosts(runtime: ContainerRuntime, sessions: StagingSessions, hosts: StagedHost[]): Promise<string | undefined> {
  const results = await Promise.all(
    hosts.map(async ({ id, root, paths }) => {
      for (const p of paths) await mkdir(join(root, ...p.split('/')), { recursive: true });
      const allowed = [...new Set(paths.map((p) => p.split('/')[0]!))];
      const session = sessions.upload(root, allowed);
      const plan: CollectPlan = { paths, url: session.url, outcome: session.outcome };
      try {
        await runtime.collectStaged!(id, plan);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    }),
  );
  return results.find((r) => r !== undefined);
}
