/**
 * @module storage/iam-store — IAM roles, their inline policies and their attached managed
 * policies (services/iam), in the metadata database so they survive restarts.
 */
import { forUpdate, isUniqueViolation, type SqlDb } from './sql/sql-db.js';
import type { Tag } from '../resources/tag.js';

export interface RoleRecord {
  name: string;
  /** `/` or `/a/b/`. */
  path: string;
  roleId: string;
  /** The trust policy as the caller sent it (IAM echoes the text, URL-encoded). */
  assumeRolePolicy: string;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
  /** Epoch milliseconds. */
  createDate: number;
  tags: Tag[];
}

export class RoleExistsError extends Error {}

/**
 * Roles by name, unique regardless of case (IAM: "Role names are not distinguished by case").
 * Every method is one statement or one transaction. Methods taking a role name return undefined / false when the
 * role does not exist.
 */
export interface IamStore {
  /** Throws RoleExistsError when the name is taken. */
  createRole(role: RoleRecord): Promise<void>;
  getRole(name: string): Promise<RoleRecord | undefined>;
  /** Every role, ordered by name (case-insensitive). */
  listRoles(): Promise<RoleRecord[]>;
  countRoles(): Promise<number>;
  /** Read-modify-write of one role in a transaction; the stored result. */
  updateRole(name: string, mutate: (r: RoleRecord) => void): Promise<RoleRecord | undefined>;
  /** Deletes the role with its policies (callers check for DeleteConflict first). */
  deleteRole(name: string): Promise<boolean>;
  putRolePolicy(role: string, policy: string, document: string): Promise<boolean>;
  getRolePolicy(role: string, policy: string): Promise<string | undefined>;
  deleteRolePolicy(role: string, policy: string): Promise<boolean>;
  /** Inline policies of the role, ordered by name. */
  rolePolicies(role: string): Promise<{ name: string; document: string }[]>;
  attachRolePolicy(role: string, policyArn: string): Promise<boolean>;
  detachRolePolicy(role: string, policyArn: string): Promise<boolean>;
  /** ARNs of the managed policies attached to the role, ordered. */
  attachedRolePolicies(role: string): Promise<string[]>;
}

interface Row {
  name: string;
  path: string;
  role_id: string;
  assume_role_policy: string;
  description: string | null;
  max_session_duration: number;
  permissions_boundary: string | null;
  create_date: number;
  tags: string;
}

function toRecord(r: Row): RoleRecord {
  return {
    name: r.name,
    path: r.path,
    roleId: r.role_id,
    assumeRolePolicy: r.assume_role_policy,
    ...(r.description !== null ? { description: r.description } : {}),
    maxSessionDuration: r.max_session_duration,
    ...(r.permissions_boundary !== null ? { permissionsBoundary: r.permissions_boundary } : {}),
    createDate: r.create_date,
    tags: JSON.parse(r.tags) as Tag[],
  };
}

export class SqlIamStore implements IamStore {
  constructor(private readonly sql: SqlDb) {}

  async createRole(role: RoleRecord): Promise<void> {
    try {
      await this.sql.run(`INSERT INTO iam_roles (name_lower, name, path, role_id, assume_role_policy, description, max_session_duration, permissions_boundary, create_date, tags)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [role.name.toLowerCase(),
          role.name,
          role.path,
          role.roleId,
          role.assumeRolePolicy,
          role.description ?? null,
          role.maxSessionDuration,
          role.permissionsBoundary ?? null,
          role.createDate,
          JSON.stringify(role.tags)]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new RoleExistsError(role.name);
      throw err;
    }
  }

  async getRole(name: string): Promise<RoleRecord | undefined> {
    const row = (await this.sql.get('SELECT * FROM iam_roles WHERE name_lower = ?', [name.toLowerCase()])) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async listRoles(): Promise<RoleRecord[]> {
    return ((await this.sql.all('SELECT * FROM iam_roles ORDER BY name_lower')) as Row[]).map(toRecord);
  }

  async countRoles(): Promise<number> {
    return ((await this.sql.get('SELECT count(*) AS n FROM iam_roles')) as { n: number }).n;
  }

  async updateRole(name: string, mutate: (r: RoleRecord) => void): Promise<RoleRecord | undefined> {
    return this.sql.transaction(async () => {
      // The row lock keeps two replicas' read-modify-writes of one role (TagRole, UpdateRole) in order.
      const row = (await this.sql.get(`SELECT * FROM iam_roles WHERE name_lower = ?${forUpdate(this.sql)}`, [name.toLowerCase()])) as Row | undefined;
      if (!row) return undefined;
      const role = toRecord(row);
      mutate(role);
      await this.sql.run('UPDATE iam_roles SET assume_role_policy = ?, description = ?, max_session_duration = ?, permissions_boundary = ?, tags = ? WHERE name_lower = ?', [role.assumeRolePolicy, role.description ?? null, role.maxSessionDuration, role.permissionsBoundary ?? null, JSON.stringify(role.tags), name.toLowerCase()]);
      return role;
    });
  }

  async deleteRole(name: string): Promise<boolean> {
    // Foreign keys cascade to the role's policies.
    return (await this.sql.run('DELETE FROM iam_roles WHERE name_lower = ?', [name.toLowerCase()])).changes > 0;
  }

  async putRolePolicy(role: string, policy: string, document: string): Promise<boolean> {
    return this.sql.transaction(async () => {
      if (!(await this.exists(role))) return false;
      await this.sql.run('INSERT INTO iam_role_policies (role_lower, name, document) VALUES (?, ?, ?) ON CONFLICT (role_lower, name) DO UPDATE SET document = excluded.document', [role.toLowerCase(), policy, document]);
      return true;
    });
  }

  async getRolePolicy(role: string, policy: string): Promise<string | undefined> {
    const row = (await this.sql.get('SELECT document FROM iam_role_policies WHERE role_lower = ? AND name = ?', [role.toLowerCase(), policy])) as { document: string } | undefined;
    return row?.document;
  }

  async deleteRolePolicy(role: string, policy: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM iam_role_policies WHERE role_lower = ? AND name = ?', [role.toLowerCase(), policy])).changes > 0;
  }

  async rolePolicies(role: string): Promise<{ name: string; document: string }[]> {
    return (await this.sql.all('SELECT name, document FROM iam_role_policies WHERE role_lower = ? ORDER BY name', [role.toLowerCase()])) as { name: string; document: string }[];
  }

  async attachRolePolicy(role: string, policyArn: string): Promise<boolean> {
    return this.sql.transaction(async () => {
      if (!(await this.exists(role))) return false;
      await this.sql.run('INSERT INTO iam_attached_role_policies (role_lower, policy_arn) VALUES (?, ?) ON CONFLICT DO NOTHING', [role.toLowerCase(), policyArn]);
      return true;
    });
  }

  async detachRolePolicy(role: string, policyArn: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM iam_attached_role_policies WHERE role_lower = ? AND policy_arn = ?', [role.toLowerCase(), policyArn])).changes > 0;
  }

  async attachedRolePolicies(role: string): Promise<string[]> {
    return ((await this.sql.all('SELECT policy_arn FROM iam_attached_role_policies WHERE role_lower = ? ORDER BY policy_arn', [role.toLowerCase()])) as { policy_arn: string }[]).map(
      (r) => r.policy_arn,
    );
  }

  private async exists(role: string): Promise<boolean> {
    return (await this.sql.get('SELECT 1 AS one FROM iam_roles WHERE name_lower = ?', [role.toLowerCase()])) !== undefined;
  }
}
