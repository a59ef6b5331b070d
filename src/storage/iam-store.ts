/**
 * @module storage/iam-store — IAM roles, their inline policies and their attached managed
 * policies (services/iam), in the metadata database so they survive restarts.
 */
import type { Db } from './sqlite/database.js';
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
 * Every method is one statement or one transaction, so a caller's check-then-write on the
 * synchronous driver is atomic. Methods taking a role name return undefined / false when the
 * role does not exist.
 */
export interface IamStore {
  /** Throws RoleExistsError when the name is taken. */
  createRole(role: RoleRecord): void;
  getRole(name: string): RoleRecord | undefined;
  /** Every role, ordered by name (case-insensitive). */
  listRoles(): RoleRecord[];
  countRoles(): number;
  /** Read-modify-write of one role in a transaction; the stored result. */
  updateRole(name: string, mutate: (r: RoleRecord) => void): RoleRecord | undefined;
  /** Deletes the role with its policies (callers check for DeleteConflict first). */
  deleteRole(name: string): boolean;
  putRolePolicy(role: string, policy: string, document: string): boolean;
  getRolePolicy(role: string, policy: string): string | undefined;
  deleteRolePolicy(role: string, policy: string): boolean;
  /** Inline policies of the role, ordered by name. */
  rolePolicies(role: string): { name: string; document: string }[];
  attachRolePolicy(role: string, policyArn: string): boolean;
  detachRolePolicy(role: string, policyArn: string): boolean;
  /** ARNs of the managed policies attached to the role, ordered. */
  attachedRolePolicies(role: string): string[];
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

export class SqliteIamStore implements IamStore {
  constructor(private readonly db: Db) {}

  createRole(role: RoleRecord): void {
    try {
      this.db
        .prepare(
          `INSERT INTO iam_roles (name_lower, name, path, role_id, assume_role_policy, description, max_session_duration, permissions_boundary, create_date, tags)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          role.name.toLowerCase(),
          role.name,
          role.path,
          role.roleId,
          role.assumeRolePolicy,
          role.description ?? null,
          role.maxSessionDuration,
          role.permissionsBoundary ?? null,
          role.createDate,
          JSON.stringify(role.tags),
        );
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new RoleExistsError(role.name);
      throw err;
    }
  }

  getRole(name: string): RoleRecord | undefined {
    const row = this.db.prepare('SELECT * FROM iam_roles WHERE name_lower = ?').get(name.toLowerCase()) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  listRoles(): RoleRecord[] {
    return (this.db.prepare('SELECT * FROM iam_roles ORDER BY name_lower').all() as Row[]).map(toRecord);
  }

  countRoles(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM iam_roles').get() as { n: number }).n;
  }

  updateRole(name: string, mutate: (r: RoleRecord) => void): RoleRecord | undefined {
    return this.db.transaction(() => {
      const role = this.getRole(name);
      if (!role) return undefined;
      mutate(role);
      this.db
        .prepare('UPDATE iam_roles SET assume_role_policy = ?, description = ?, max_session_duration = ?, permissions_boundary = ?, tags = ? WHERE name_lower = ?')
        .run(role.assumeRolePolicy, role.description ?? null, role.maxSessionDuration, role.permissionsBoundary ?? null, JSON.stringify(role.tags), name.toLowerCase());
      return role;
    })();
  }

  deleteRole(name: string): boolean {
    // Foreign keys cascade to the role's policies.
    return this.db.prepare('DELETE FROM iam_roles WHERE name_lower = ?').run(name.toLowerCase()).changes > 0;
  }

  putRolePolicy(role: string, policy: string, document: string): boolean {
    return this.db.transaction(() => {
      if (!this.exists(role)) return false;
      this.db
        .prepare('INSERT INTO iam_role_policies (role_lower, name, document) VALUES (?, ?, ?) ON CONFLICT (role_lower, name) DO UPDATE SET document = excluded.document')
        .run(role.toLowerCase(), policy, document);
      return true;
    })();
  }

  getRolePolicy(role: string, policy: string): string | undefined {
    const row = this.db.prepare('SELECT document FROM iam_role_policies WHERE role_lower = ? AND name = ?').get(role.toLowerCase(), policy) as { document: string } | undefined;
    return row?.document;
  }

  deleteRolePolicy(role: string, policy: string): boolean {
    return this.db.prepare('DELETE FROM iam_role_policies WHERE role_lower = ? AND name = ?').run(role.toLowerCase(), policy).changes > 0;
  }

  rolePolicies(role: string): { name: string; document: string }[] {
    return this.db.prepare('SELECT name, document FROM iam_role_policies WHERE role_lower = ? ORDER BY name').all(role.toLowerCase()) as { name: string; document: string }[];
  }

  attachRolePolicy(role: string, policyArn: string): boolean {
    return this.db.transaction(() => {
      if (!this.exists(role)) return false;
      this.db.prepare('INSERT OR IGNORE INTO iam_attached_role_policies (role_lower, policy_arn) VALUES (?, ?)').run(role.toLowerCase(), policyArn);
      return true;
    })();
  }

  detachRolePolicy(role: string, policyArn: string): boolean {
    return this.db.prepare('DELETE FROM iam_attached_role_policies WHERE role_lower = ? AND policy_arn = ?').run(role.toLowerCase(), policyArn).changes > 0;
  }

  attachedRolePolicies(role: string): string[] {
    return (this.db.prepare('SELECT policy_arn FROM iam_attached_role_policies WHERE role_lower = ? ORDER BY policy_arn').all(role.toLowerCase()) as { policy_arn: string }[]).map(
      (r) => r.policy_arn,
    );
  }

  private exists(role: string): boolean {
    return this.db.prepare('SELECT 1 FROM iam_roles WHERE name_lower = ?').get(role.toLowerCase()) !== undefined;
  }
}
