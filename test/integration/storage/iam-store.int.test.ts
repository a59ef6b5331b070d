/** The IAM role store on SQLite and PostgreSQL, and two replicas updating one role at once. */
import { expect, it } from 'vitest';
import { RoleExistsError, SqlIamStore, type RoleRecord } from '../../../src/storage/iam-store.js';
import { forEachBackend } from '../../helpers/backends.js';

function role(name: string): RoleRecord {
  return { name, path: '/', roleId: `AROA${name.toUpperCase()}`, assumeRolePolicy: '{}', maxSessionDuration: 3600, createDate: 1_700_000_000_000, tags: [] };
}

forEachBackend((backend) => {
  it('IAM store: roles are unique whatever the case, listed by name, and go with their policies', async () => {
    const iam = new SqlIamStore((await backend.fresh()).db);
    await iam.createRole(role('Beta'));
    await iam.createRole({ ...role('alpha'), description: 'd', permissionsBoundary: 'arn:aws:iam::aws:policy/B' });
    await expect(iam.createRole(role('BETA'))).rejects.toThrow(RoleExistsError);
    expect((await iam.listRoles()).map((r) => r.name)).toEqual(['alpha', 'Beta']);
    expect(await iam.getRole('ALPHA')).toEqual({ ...role('alpha'), description: 'd', permissionsBoundary: 'arn:aws:iam::aws:policy/B' });
    expect(await iam.countRoles()).toBe(2);
    await iam.putRolePolicy('beta', 'p', '{"a":1}');
    await iam.putRolePolicy('beta', 'p', '{"a":2}');
    await iam.attachRolePolicy('beta', 'arn:aws:iam::aws:policy/X');
    await iam.attachRolePolicy('beta', 'arn:aws:iam::aws:policy/X');
    expect(await iam.rolePolicies('Beta')).toEqual([{ name: 'p', document: '{"a":2}' }]);
    expect(await iam.attachedRolePolicies('Beta')).toEqual(['arn:aws:iam::aws:policy/X']);
    expect(await iam.deleteRole('beta')).toBe(true);
    expect(await iam.getRole('beta')).toBeUndefined();
  });

  if (backend.name === 'PostgreSQL') {
    it('IAM store: two replicas tagging one role at once keep every tag (the row lock orders them)', async () => {
      const fresh = await backend.fresh();
      const a = new SqlIamStore(fresh.db);
      const b = new SqlIamStore(await fresh.open());
      await a.createRole(role('shared'));
      const tag = (store: SqlIamStore, key: string) => store.updateRole('shared', (r) => void r.tags.push({ Key: key, Value: 'v' }));
      await Promise.all(Array.from({ length: 20 }, (_, i) => tag(i % 2 ? a : b, `k${String(i).padStart(2, '0')}`)));
      expect((await b.getRole('shared'))!.tags.map((t) => t.Key).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`));
    });
  }
});
