/**
 * @module cli/doctor/findings — the pure half of `slipway doctor`: finding records, checks that
 * need only image metadata, and parsing of the in-image probe's output. The container-running
 * half is doctor/run-doctor.ts.
 */
import type { ImageInfo } from '../../runtime/container-runtime.js';

export const STATUS = { pass: 'pass', warn: 'warn', fail: 'fail', skip: 'skip' } as const;
export type Status = (typeof STATUS)[keyof typeof STATUS];

export interface Finding {
  /** Stable id for scripts: `image.architecture`, `serve.ping`, ... */
  id: string;
  group: 'image' | 'train' | 'serve';
  status: Status;
  title: string;
  detail?: string;
  /** What to change, for warn and fail. */
  fix?: string;
}

/** Docker's `Architecture` from `docker info` (uname) and from images (GOARCH) spell CPUs differently. */
export function normalizeArch(a: string): string {
  const m: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'arm', arm: 'arm' };
  return m[a.toLowerCase()] ?? a.toLowerCase();
}

const WARN_SIZE = 5 * 1024 ** 3;

export function imageFindings(image: ImageInfo, hostArch: string, fmtBytes: (n: number) => string): Finding[] {
  const out: Finding[] = [];
  const ia = normalizeArch(image.architecture);
  const ha = normalizeArch(hostArch);
  out.push(
    ia === ha || !hostArch
      ? { id: 'image.architecture', group: 'image', status: 'pass', title: 'image architecture matches the host', detail: `${image.os}/${ia}` }
      : {
          id: 'image.architecture',
          group: 'image',
          status: 'fail',
          title: 'image architecture matches the host',
          detail: `image is ${image.os}/${ia}, the Docker host is ${ha}: it runs under emulation, slowly, or not at all`,
          fix: `rebuild for the host: \`docker build --platform linux/${ha} ...\` (or buildx with both platforms)`,
        },
  );
  out.push(
    image.sizeBytes <= WARN_SIZE
      ? { id: 'image.size', group: 'image', status: 'pass', title: 'image size', detail: fmtBytes(image.sizeBytes) }
      : {
          id: 'image.size',
          group: 'image',
          status: 'warn',
          title: 'image size',
          detail: `${fmtBytes(image.sizeBytes)}: every training job and endpoint instance pulls it before it starts`,
          fix: 'use a slim base image, a multi-stage build, and keep data and models out of the image',
        },
  );
  const ep = image.entrypoint;
  if (!ep || ep.length === 0) {
    out.push({ id: 'image.entrypoint', group: 'image', status: 'pass', title: 'exec-form ENTRYPOINT', detail: 'no ENTRYPOINT: `train`/`serve` run as the command (like the SageMaker samples)' });
  } else if (isShellForm(ep)) {
    out.push({
      id: 'image.entrypoint',
      group: 'image',
      status: 'fail',
      title: 'exec-form ENTRYPOINT',
      detail: `ENTRYPOINT is shell form (${JSON.stringify(ep)}): the shell is PID 1, SIGTERM never reaches your program, and the \`train\`/\`serve\` argument is dropped`,
      fix: `use the exec form: ENTRYPOINT ["${ep[2]?.split(/\s+/)[0] ?? 'program'}", ...]`,
    });
  } else {
    out.push({ id: 'image.entrypoint', group: 'image', status: 'pass', title: 'exec-form ENTRYPOINT', detail: `${JSON.stringify(ep)} receives \`train\`/\`serve\` as its argument` });
  }
  return out;
}

function isShellForm(ep: string[]): boolean {
  return ep.length >= 2 && /^(\/bin\/|\/usr\/bin\/)?(sh|bash|dash)$/.test(ep[0]!) && ep[1] === '-c';
}

/** POSIX sh run inside the image: how each program resolves on PATH and what its first bytes say. */
export function probeScript(programs: string[]): string {
  return `
for p in ${programs.map((p) => `'${p.replace(/'/g, "'\\''")}'`).join(' ')}; do
  f=""
  case "$p" in */*) [ -e "$p" ] && f="$p";; *)
    oldifs=$IFS; IFS=:
    for d in $PATH; do if [ -f "$d/$p" ]; then f="$d/$p"; break; fi; done
    IFS=$oldifs;;
  esac
  if [ -z "$f" ]; then echo "PROBE|$p|missing"; continue; fi
  x=no; [ -x "$f" ] && x=yes
  kind=other; magic=$(head -c 4 "$f" | tail -c 3 2>/dev/null)
  [ "$magic" = "ELF" ] && kind=elf
  first=$(head -n 1 "$f")
  case "$first" in '#!'*) kind=script;; esac
  crfirst=0; printf '%s' "$first" | grep -q "$(printf '\\r')" && crfirst=1
  crall=$(tr -cd '\\r' < "$f" | wc -c)
  interp=""; iok=na
  if [ "$kind" = script ]; then
    line=$(printf '%s' "$first" | tr -d '\\r' | sed 's/^#![[:space:]]*//')
    interp=\${line%% *}
    iok=no; [ -x "$interp" ] && iok=yes
    case "$interp" in */env) arg=\${line#* }; arg=\${arg%% *}; [ -n "$arg" ] && command -v "$arg" >/dev/null 2>&1 || iok=no; interp="$interp $arg";; esac
  fi
  echo "PROBE|$p|found|$f|$x|$kind|$crfirst|$crall|$interp|$iok"
done
`;
}

export interface ProbeResult {
  program: string;
  found: boolean;
  path?: string;
  executable?: boolean;
  kind?: 'elf' | 'script' | 'other';
  crInShebang?: boolean;
  crCount?: number;
  interpreter?: string;
  interpreterOk?: boolean | undefined;
}

export function parseProbe(lines: string[]): Map<string, ProbeResult> {
  const out = new Map<string, ProbeResult>();
  for (const line of lines) {
    const parts = line.trim().split('|');
    if (parts[0] !== 'PROBE' || !parts[1]) continue;
    const program = parts[1];
    if (parts[2] === 'missing') {
      out.set(program, { program, found: false });
      continue;
    }
    out.set(program, {
      program,
      found: true,
      path: parts[3],
      executable: parts[4] === 'yes',
      kind: (parts[5] as ProbeResult['kind']) ?? 'other',
      crInShebang: parts[6] === '1',
      crCount: Number(parts[7] ?? 0),
      interpreter: parts[8] || undefined,
      interpreterOk: parts[9] === 'na' ? undefined : parts[9] === 'yes',
    });
  }
  return out;
}

/** Findings for one program (`train`, `serve`, or the ENTRYPOINT's executable) from the probe. */
export function programFindings(program: string, role: 'train' | 'serve', p: ProbeResult | undefined, viaEntrypoint: boolean): Finding[] {
  const id = `${role}.resolvable`;
  const title = viaEntrypoint ? `ENTRYPOINT ${program} is runnable` : `\`${program}\` is an executable on PATH`;
  if (!p || !p.found) {
    return [
      {
        id,
        group: role,
        status: 'fail',
        title,
        detail: `\`${program}\` is not on the image's PATH: \`docker run IMAGE ${role}\` fails with "executable file not found"`,
        fix: viaEntrypoint
          ? `make sure the ENTRYPOINT path exists in the image`
          : `COPY the script into the image and put its folder on PATH: \`COPY ${role} /opt/program/\` + \`ENV PATH="/opt/program:$PATH"\` (or add an exec-form ENTRYPOINT)`,
      },
    ];
  }
  const out: Finding[] = [];
  if (!p.executable) {
    out.push({
      id,
      group: role,
      status: 'fail',
      title,
      detail: `${p.path} exists but is not executable: SageMaker's \`docker run IMAGE ${role}\` fails with "permission denied"`,
      fix: `\`RUN chmod +x ${p.path}\` in the Dockerfile (or \`COPY --chmod=755 ...\`); on Windows, \`git update-index --chmod=+x ${program}\``,
    });
  } else {
    out.push({ id, group: role, status: 'pass', title, detail: `${p.path} (${p.kind === 'elf' ? 'binary' : p.kind === 'script' ? `script, ${p.interpreter}` : 'file'})` });
  }
  if (p.crInShebang) {
    out.push({
      id: `${role}.line-endings`,
      group: role,
      status: 'fail',
      title: `${program} has Unix line endings`,
      detail: `${p.path} has Windows (CRLF) line endings: the kernel looks for the interpreter "${p.interpreter ?? '?'}\\r" and fails with "No such file or directory"`,
      fix: `convert to LF: \`RUN sed -i 's/\\r$//' ${p.path}\` in the Dockerfile, or add \`* text eol=lf\` to .gitattributes (dos2unix also works)`,
    });
  } else if ((p.crCount ?? 0) > 0) {
    out.push({
      id: `${role}.line-endings`,
      group: role,
      status: 'warn',
      title: `${program} has Unix line endings`,
      detail: `${p.path} contains ${p.crCount} carriage return(s); shell scripts break on them`,
      fix: `convert to LF: \`RUN sed -i 's/\\r$//' ${p.path}\` or \`* text eol=lf\` in .gitattributes`,
    });
  } else if (p.kind === 'script' || p.kind === 'other') {
    out.push({ id: `${role}.line-endings`, group: role, status: 'pass', title: `${program} has Unix line endings` });
  }
  if (p.kind === 'other' && p.executable) {
    out.push({
      id: `${role}.shebang`,
      group: role,
      status: 'fail',
      title: `${program} starts with a shebang`,
      detail: `${p.path} is neither a binary nor starts with #!: exec fails with "exec format error"`,
      fix: 'start the script with an interpreter line, e.g. `#!/usr/bin/env python3` or `#!/bin/sh`',
    });
  } else if (p.kind === 'script' && p.interpreterOk === false && !p.crInShebang) {
    out.push({
      id: `${role}.shebang`,
      group: role,
      status: 'fail',
      title: `${program} starts with a shebang`,
      detail: `interpreter "${p.interpreter}" from the #! line is not in the image`,
      fix: 'install the interpreter in the image or point the #! line at one that exists (`#!/usr/bin/env python3`)',
    });
  } else if (p.kind === 'script') {
    out.push({ id: `${role}.shebang`, group: role, status: 'pass', title: `${program} starts with a shebang`, detail: p.interpreter });
  }
  return out;
}

/** Messages that show a hyperparameter was used as a number without converting the string. */
export function looksLikeStringTypeError(text: string): boolean {
  return /TypeError|not supported between instances of 'str'|must be (int|real number|a number), not str|can only concatenate str|invalid literal for int\(\)|could not convert string to float|expected .*int.*got .*str/i.test(
    text,
  );
}

export function summarize(findings: Finding[]): Record<Status, number> {
  const s: Record<Status, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const f of findings) s[f.status]++;
  return s;
}
