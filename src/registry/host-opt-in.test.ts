import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { disableHostNames, enableHostNames, optInDir, readOptIn } from './host-opt-in.js';

// Real openssl and real files, with the hosts file and Docker's certs.d in a temp folder.
describe('ECR host-name opt-in', () => {
  let root: string;
  let home: string;
  let paths: { hostsFile: string; certsDir: string };
  const original = '127.0.0.1 localhost\n::1 localhost\n';
  const A = '000000000000.dkr.ecr.us-east-1.amazonaws.com';
  const B = '000000000000.dkr.ecr.eu-west-1.amazonaws.com';

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'slipway-optin-'));
    home = join(root, 'home');
    paths = { hostsFile: join(root, 'hosts'), certsDir: join(root, 'docker', 'certs.d') };
    mkdirSync(join(root, 'docker'));
    writeFileSync(paths.hostsFile, original);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('maps the names to 127.0.0.1, trusts a local CA for them and issues a certificate naming them', async () => {
    await enableHostNames(home, [A], paths);
    const { hostsChanged } = await enableHostNames(home, [B], paths);
    expect(hostsChanged).toBe(true);
    const hosts = readFileSync(paths.hostsFile, 'utf8');
    expect(hosts.startsWith(original)).toBe(true);
    expect(hosts).toContain(`127.0.0.1 ${A} # slipway-registry-host ${home}\n`);
    expect(hosts).toContain(`127.0.0.1 ${B} # slipway-registry-host ${home}\n`);
    const caPem = readFileSync(join(optInDir(home), 'ca.crt'));
    expect(readFileSync(join(paths.certsDir, A, 'ca.crt'))).toEqual(caPem);
    const ca = new X509Certificate(caPem);
    const cert = new X509Certificate(readFileSync(join(optInDir(home), 'server.crt')));
    expect(ca.ca).toBe(true);
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(`DNS:${A}, DNS:${B}`);
    expect(cert.checkHost(B)).toBe(B);
    expect(readOptIn(home)?.names).toEqual([A, B]);
  });

  it('is idempotent: enabling a name again adds nothing', async () => {
    await enableHostNames(home, [A], paths);
    const before = readFileSync(paths.hostsFile, 'utf8');
    const { hostsChanged } = await enableHostNames(home, [A], paths);
    expect(hostsChanged).toBe(false);
    expect(readFileSync(paths.hostsFile, 'utf8')).toBe(before);
  });

  it('undoes everything it added, including a certs.d folder that did not exist', async () => {
    await enableHostNames(home, [A, B], paths);
    writeFileSync(paths.hostsFile, `${readFileSync(paths.hostsFile, 'utf8')}10.0.0.9 other.example\n`);
    expect(disableHostNames(home, paths)).toEqual([A, B]);
    expect(readFileSync(paths.hostsFile, 'utf8')).toBe(`${original}10.0.0.9 other.example\n`);
    expect(existsSync(paths.certsDir)).toBe(false);
    expect(existsSync(join(root, 'docker'))).toBe(true);
    expect(existsSync(optInDir(home))).toBe(false);
    expect(disableHostNames(home, paths)).toEqual([]);
  });

  it("keeps a certs.d folder and files it did not create", async () => {
    mkdirSync(join(paths.certsDir, A), { recursive: true });
    writeFileSync(join(paths.certsDir, A, 'client.cert'), 'mine');
    await enableHostNames(home, [A], paths);
    disableHostNames(home, paths);
    expect(readFileSync(join(paths.certsDir, A, 'client.cert'), 'utf8')).toBe('mine');
    expect(existsSync(join(paths.certsDir, A, 'ca.crt'))).toBe(false);
  });

  it("refuses a name the hosts file maps elsewhere, or one Docker already trusts another CA for", async () => {
    writeFileSync(paths.hostsFile, `${original}10.1.1.1 ${A}\n`);
    await expect(enableHostNames(home, [A], paths)).rejects.toThrow(/already maps/);
    writeFileSync(paths.hostsFile, original);
    mkdirSync(join(paths.certsDir, B), { recursive: true });
    writeFileSync(join(paths.certsDir, B, 'ca.crt'), 'someone else');
    await expect(enableHostNames(home, [B], paths)).rejects.toThrow(/not written by Slipway/);
    expect(readFileSync(paths.hostsFile, 'utf8')).toBe(original);
  });

  it('refuses what is not a host name', async () => {
    await expect(enableHostNames(home, ['bad name'], paths)).rejects.toThrow(/not a host name/);
    await expect(enableHostNames(home, ['x\n1.2.3.4 evil'], paths)).rejects.toThrow(/not a host name/);
  });
});
