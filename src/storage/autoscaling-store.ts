/**
 * @module storage/autoscaling-store — Application Auto Scaling's rows (migration 009): scalable
 * targets, their scaling policies (deleted with the target) and the scaling activities. Activities
 * are kept per target up to a bound, oldest first out, and outlive a deregistered target as in AWS
 * (DescribeScalingActivities still lists them).
 */
import type { SqlDb, SqlParam } from './sql/sql-db.js';
import type { ActivityStatus, ScalableTargetRecord, ScalingActivityRecord, ScalingPolicyRecord } from '../resources/scalable-target.js';

/** Activities kept per target; older ones are dropped when a new one is recorded. */
const ACTIVITIES_PER_TARGET = 200;

interface TargetRow {
  resource_id: string;
  min_capacity: number;
  max_capacity: number;
  role_arn: string;
  suspended: string;
  arn: string;
  created_at: number;
  last_scale_out_at: number | null;
  last_scale_in_at: number | null;
  tags: string;
}

interface PolicyRow {
  resource_id: string;
  name: string;
  arn: string;
  config: string;
  alarms: string;
  created_at: number;
}

interface ActivityRow {
  seq: number;
  id: string;
  resource_id: string;
  description: string;
  cause: string;
  start_time: number;
  end_time: number | null;
  status: string;
  status_message: string | null;
  desired: number;
}

const toTarget = (r: TargetRow): ScalableTargetRecord => ({
  resourceId: r.resource_id,
  minCapacity: r.min_capacity,
  maxCapacity: r.max_capacity,
  roleArn: r.role_arn,
  suspended: JSON.parse(r.suspended) as ScalableTargetRecord['suspended'],
  arn: r.arn,
  createdAt: r.created_at,
  ...(r.last_scale_out_at !== null ? { lastScaleOutAt: r.last_scale_out_at } : {}),
  ...(r.last_scale_in_at !== null ? { lastScaleInAt: r.last_scale_in_at } : {}),
  tags: JSON.parse(r.tags) as Record<string, string>,
});

const toPolicy = (r: PolicyRow): ScalingPolicyRecord => ({
  resourceId: r.resource_id,
  name: r.name,
  arn: r.arn,
  config: JSON.parse(r.config) as ScalingPolicyRecord['config'],
  alarms: JSON.parse(r.alarms) as ScalingPolicyRecord['alarms'],
  createdAt: r.created_at,
});

const toActivity = (r: ActivityRow): ScalingActivityRecord & { seq: number } => ({
  seq: r.seq,
  id: r.id,
  resourceId: r.resource_id,
  description: r.description,
  cause: r.cause,
  startTime: r.start_time,
  ...(r.end_time !== null ? { endTime: r.end_time } : {}),
  status: r.status as ActivityStatus,
  ...(r.status_message !== null ? { statusMessage: r.status_message } : {}),
  desired: r.desired,
});

export class SqlAutoscalingStore {
  constructor(private readonly sql: SqlDb) {}

  async getTarget(resourceId: string): Promise<ScalableTargetRecord | undefined> {
    const r = (await this.sql.get('SELECT * FROM autoscaling_targets WHERE resource_id = ?', [resourceId])) as TargetRow | undefined;
    return r ? toTarget(r) : undefined;
  }

  async listTargets(): Promise<ScalableTargetRecord[]> {
    return ((await this.sql.all('SELECT * FROM autoscaling_targets ORDER BY resource_id')) as TargetRow[]).map(toTarget);
  }

  async getTargetByArn(arn: string): Promise<ScalableTargetRecord | undefined> {
    const r = (await this.sql.get('SELECT * FROM autoscaling_targets WHERE arn = ?', [arn])) as TargetRow | undefined;
    return r ? toTarget(r) : undefined;
  }

  /** Inserts or replaces the target's settings and tags; cooldown times and policies stay. */
  async putTarget(t: ScalableTargetRecord): Promise<void> {
    await this.sql.run(`INSERT INTO autoscaling_targets (resource_id, min_capacity, max_capacity, role_arn, suspended, arn, created_at, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (resource_id) DO UPDATE SET min_capacity = excluded.min_capacity, max_capacity = excluded.max_capacity,
           role_arn = excluded.role_arn, suspended = excluded.suspended, tags = excluded.tags`, [t.resourceId, t.minCapacity, t.maxCapacity, t.roleArn, JSON.stringify(t.suspended), t.arn, t.createdAt, JSON.stringify(t.tags)]);
  }

  async setTags(resourceId: string, tags: Record<string, string>): Promise<void> {
    await this.sql.run('UPDATE autoscaling_targets SET tags = ? WHERE resource_id = ?', [JSON.stringify(tags), resourceId]);
  }

  /** Removes the target and its policies; false when there was none. */
  async deleteTarget(resourceId: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM autoscaling_targets WHERE resource_id = ?', [resourceId])).changes > 0;
  }

  async markScaled(resourceId: string, direction: 'out' | 'in', at: number): Promise<void> {
    const column = direction === 'out' ? 'last_scale_out_at' : 'last_scale_in_at';
    await this.sql.run(`UPDATE autoscaling_targets SET ${column} = ? WHERE resource_id = ?`, [at, resourceId]);
  }

  async putPolicy(p: ScalingPolicyRecord): Promise<void> {
    await this.sql.run(`INSERT INTO autoscaling_policies (resource_id, name, arn, config, alarms, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (resource_id, name) DO UPDATE SET config = excluded.config`, [p.resourceId, p.name, p.arn, JSON.stringify(p.config), JSON.stringify(p.alarms), p.createdAt]);
  }

  async getPolicy(resourceId: string, name: string): Promise<ScalingPolicyRecord | undefined> {
    const r = (await this.sql.get('SELECT * FROM autoscaling_policies WHERE resource_id = ? AND name = ?', [resourceId, name])) as PolicyRow | undefined;
    return r ? toPolicy(r) : undefined;
  }

  async listPolicies(resourceId?: string): Promise<ScalingPolicyRecord[]> {
    const rows = (
      resourceId === undefined
        ? (await this.sql.all('SELECT * FROM autoscaling_policies ORDER BY resource_id, name'))
        : (await this.sql.all('SELECT * FROM autoscaling_policies WHERE resource_id = ? ORDER BY name', [resourceId]))
    ) as PolicyRow[];
    return rows.map(toPolicy);
  }

  async deletePolicy(resourceId: string, name: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM autoscaling_policies WHERE resource_id = ? AND name = ?', [resourceId, name])).changes > 0;
  }

  async addActivity(a: ScalingActivityRecord): Promise<void> {
    await this.sql.transaction(async () => {
      await this.sql.run(`INSERT INTO autoscaling_activities (id, resource_id, description, cause, start_time, end_time, status, status_message, desired)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [a.id, a.resourceId, a.description, a.cause, a.startTime, a.endTime ?? null, a.status, a.statusMessage ?? null, a.desired]);
      await this.sql.run(`DELETE FROM autoscaling_activities WHERE resource_id = ? AND seq NOT IN
             (SELECT seq FROM autoscaling_activities WHERE resource_id = ? ORDER BY seq DESC LIMIT ?)`, [a.resourceId, a.resourceId, ACTIVITIES_PER_TARGET]);
    });
  }

  async finishActivity(id: string, status: ActivityStatus, endTime: number, statusMessage?: string): Promise<void> {
    await this.sql.run('UPDATE autoscaling_activities SET status = ?, end_time = ?, status_message = COALESCE(?, status_message) WHERE id = ?', [status, endTime, statusMessage ?? null, id]);
  }

  /** Activities newest first; `resourceId` narrows to one target. */
  async listActivities(resourceId: string | undefined, q: { beforeSeq?: number; limit: number }): Promise<(ScalingActivityRecord & { seq: number })[]> {
    // Only the filters given: PostgreSQL cannot type a bare `? IS NULL` parameter.
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (resourceId !== undefined) {
      where.push('resource_id = ?');
      params.push(resourceId);
    }
    if (q.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(q.beforeSeq);
    }
    const rows = (await this.sql.all(
      `SELECT * FROM autoscaling_activities${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`,
      [...params, q.limit],
    )) as ActivityRow[];
    return rows.map(toActivity);
  }

  /** Activities still in progress for a target (the driver settles them). */
  async openActivities(resourceId: string): Promise<ScalingActivityRecord[]> {
    return (
      (await this.sql.all("SELECT * FROM autoscaling_activities WHERE resource_id = ? AND status IN ('Pending', 'InProgress') ORDER BY seq", [resourceId])) as ActivityRow[]
    ).map(toActivity);
  }
}
