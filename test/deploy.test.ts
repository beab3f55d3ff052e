/**
 * Every flag used in deploy/ is one the built CLI accepts (so the unit files
 * and cron lines cannot drift from the program), and the units parse as
 * key=value sections.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, runCli } from './helpers/cli.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** The `iochunt <command> …` invocations in a file (with line continuations joined). */
function invocations(text: string): Array<{ command: string; flags: string[] }> {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const out: Array<{ command: string; flags: string[] }> = [];
  for (const m of joined.matchAll(/\/usr\/bin\/iochunt\s+([a-z]+(?:\s+[a-z]+)?)\s+([^\n|;&]*)/g)) {
    const command = (m[1] as string).split(/\s+/).filter((w) => !w.startsWith('-'))[0] as string;
    const flags = [...(m[2] as string).matchAll(/(?:^|\s)(--?[a-zA-Z][\w-]*)/g)].map((f) => f[1] as string);
    out.push({ command, flags });
  }
  return out;
}

/** An argument vector that runs iochunt (`[…, "/usr/bin/iochunt", "tail", "--flag", …]`) as an invocation. */
function fromArgv(argv: readonly unknown[]): { command: string; flags: string[] } | undefined {
  const words = argv.map(String);
  const at = words.findIndex((w) => w === '/usr/bin/iochunt' || w === 'iochunt');
  if (at < 0) return undefined;
  const rest = words.slice(at + 1);
  const command = rest.find((w) => !w.startsWith('-'));
  return command ? { command, flags: rest.filter((w) => /^--?[a-zA-Z]/.test(w)).map((w) => w.split('=')[0] as string) } : undefined;
}

/** The invocations in a Dockerfile (ENTRYPOINT + CMD JSON arrays). */
function dockerInvocations(text: string): Array<{ command: string; flags: string[] }> {
  const array = (word: string): string[] => {
    const m = new RegExp(`^${word}\\s+(\\[.*\\])\\s*$`, 'm').exec(text);
    return m ? (JSON.parse(m[1] as string) as string[]) : [];
  };
  const inv = fromArgv([...array('ENTRYPOINT'), ...array('CMD')]);
  return inv ? [inv] : [];
}

/** The invocations in Kubernetes manifests (each container's command + args). */
function manifestInvocations(text: string): Array<{ command: string; flags: string[] }> {
  const out: Array<{ command: string; flags: string[] }> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.command) || Array.isArray(o.args)) {
        const inv = fromArgv([...((o.command as unknown[]) ?? []), ...((o.args as unknown[]) ?? [])]);
        if (inv) out.push(inv);
      }
      Object.values(o).forEach(walk);
    }
  };
  for (const d of parseAllDocuments(text)) walk(d.toJS());
  return out;
}

describe('deploy/', () => {
  const all = files(join(ROOT, 'deploy'));
  const yamlFiles = all.filter((f) => /\.ya?ml$/.test(f));

  it('uses only flags the built CLI accepts', async () => {
    const found = all.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      const list = /Dockerfile$/.test(f) ? dockerInvocations(text) : f.includes('/kubernetes/') ? manifestInvocations(text) : invocations(text);
      return list.map((i) => ({ ...i, file: f }));
    });
    expect(found.map((i) => `${i.file.replace(/.*deploy\//, '')} ${i.command}`)).toEqual(
      expect.arrayContaining(['docker/Dockerfile tail', 'kubernetes/daemonset.yaml tail', 'kubernetes/kafka-workers.yaml tail', 'systemd/iochunt-tail.service tail', 'systemd/iochunt-sweep.service sweep']),
    );
    expect(found.length).toBeGreaterThan(0);
    const help = new Map<string, string>();
    for (const inv of found) {
      if (!help.has(inv.command)) {
        const r = await runCli([inv.command, '--help']);
        expect(r.code, `${inv.command} --help`).toBe(0);
        help.set(inv.command, r.stdout);
      }
      for (const flag of inv.flags) expect(help.get(inv.command), `${inv.file}: ${flag}`).toMatch(new RegExp(`(^|[\\s,])${flag}([\\s,=]|$)`, 'm'));
    }
  });

  it('systemd units parse as sections of key=value lines', () => {
    for (const f of all.filter((p) => /\.(service|timer)$/.test(p))) {
      let section = '';
      const text = readFileSync(f, 'utf8').replace(/\\\n/g, ' ');
      for (const line of text.split('\n')) {
        if (line.trim() === '' || line.startsWith('#')) continue;
        if (/^\[[A-Za-z]+\]$/.test(line)) {
          section = line;
          continue;
        }
        expect(section, `${f}: ${line}`).not.toBe('');
        expect(line, f).toMatch(/^[A-Za-z]+=.*/);
      }
    }
  });

  it('YAML files parse (every document of every manifest)', () => {
    expect(yamlFiles.length).toBeGreaterThanOrEqual(2);
    for (const f of yamlFiles) {
      for (const d of parseAllDocuments(readFileSync(f, 'utf8'))) expect(d.errors.map((e) => e.message), f).toEqual([]);
    }
  });

  it('the example configuration passes iochunt config check (every key known, every value valid)', async () => {
    for (const f of all.filter((p) => p.includes('/config/'))) {
      const r = await runCli(['config', 'check', f]);
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
    }
  });

  it('the DaemonSet reads /var/log read-only, keeps its state on the node, probes /healthz and /readyz on the metrics port', () => {
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/daemonset.yaml'), 'utf8')).map((d) => d.toJS());
    const ds = docs.find((d) => d.kind === 'DaemonSet');
    const pod = ds.spec.template.spec;
    const c = pod.containers[0];
    const mount = (name: string) => c.volumeMounts.find((m: { name: string }) => m.name === name);
    const volume = (name: string) => pod.volumes.find((v: { name: string }) => v.name === name);
    expect(volume(mount('varlog').name).hostPath.path).toBe('/var/log');
    expect(mount('varlog').readOnly).toBe(true);
    expect(volume('state').hostPath.path).toBe('/var/lib/iochunt');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    const listen = c.args[c.args.indexOf('--metrics-listen') + 1] as string;
    expect(c.ports.find((p: { name: string }) => p.name === c.readinessProbe.httpGet.port).containerPort).toBe(Number(listen.split(':').pop()));
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
  });

  it('the Kafka workers are one consumer group with credentials from Secrets, not arguments, and readiness on /readyz', () => {
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/kafka-workers.yaml'), 'utf8')).map((d) => d.toJS());
    const deployment = docs.find((d) => d.kind === 'Deployment');
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    const arg = (flag: string): string | undefined => (c.args.includes(flag) ? (c.args[c.args.indexOf(flag) + 1] as string) : undefined);
    expect(arg('--kafka-group')).toBeTruthy();
    expect(arg('--kafka-topic')).toBeTruthy();
    expect(arg('--es')).toMatch(/^https:/);
    // Offsets live in Kafka: no state file, no hostPath.
    expect(c.args).not.toContain('--state');
    expect(pod.volumes.some((v: Record<string, unknown>) => 'hostPath' in v)).toBe(false);
    // Secrets come from the environment (Secrets), never from the command line.
    expect(c.args.join(' ')).not.toMatch(/password|api[-_]?key|secret/i);
    expect(c.envFrom.map((e: { secretRef: { name: string } }) => e.secretRef.name)).toEqual(expect.arrayContaining(['iochunt-es', 'iochunt-kafka']));
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
  });
});
