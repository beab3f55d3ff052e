/**
 * The configuration file of `iochunt tail`: `iochunt config check` names the
 * file, line and key of every kind of mistake; `tail --config` follows the
 * inputs with their excludes, fields and tags; command-line options
 * override the file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { SweepWorld, lineNumber, sorted } from './helpers/sweep-world.js';
import { runCli, startCli } from './helpers/cli.js';
import { outputDocs, waitFor } from './helpers/tail-run.js';

let world: SweepWorld | undefined;
afterEach(() => {
  world?.remove();
  world = undefined;
});

function configFile(x: SweepWorld, text: string): string {
  const p = x.t.path('tail.yaml');
  writeFileSync(p, text);
  return p;
}

describe('iochunt config check', () => {
  it('accepts a complete configuration', async () => {
    const x = (world = new SweepWorld());
    const p = configFile(
      x,
      `# every section
inputs:
  - paths: [${x.logs}/*.log]
    exclude: ["*.gz", "debug.log"]
    format: syslog
    fields: {env: prod, team: web}
    tags: [web, edge]
feeds:
  - ${x.feed}
allowlists: [${x.feed}]
outputs:
  file: ${x.out}
  elasticsearch:
    hosts: [http://127.0.0.1:9200]
    index: logs-iochunt.hits-default
    retry_for: 10m
    flush_interval: 1
state: ${x.state}
metrics:
  listen: 127.0.0.1:9464
log:
  format: json
tail:
  from: end
  scan_interval: 2s
  watch: true
  close_renamed_after: 1m
  retro_lookback: 2h
  forget_after: 7d
  shutdown_timeout: 20s
scan:
  threads: 2
  engine: auto
  max_line_bytes: 16M
`,
    );
    const r = await runCli(['config', 'check', p]);
    expect(r.code).toBe(0);
    // One summary line on stderr, no warning or error.
    expect(r.stderr).toMatch(/^iochunt: \S+tail\.yaml: valid; 1 input\(s\), 0 sources;[^\n]*\n$/);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['an unknown top-level key', 'feeds: [a]\noutput:\n  file: x\n', /tail\.yaml:2: output: unknown key; expected one of inputs, feeds/],
    ['an unknown nested key', 'tail:\n  from: end\n  scan_intervall: 2s\n', /tail\.yaml:3: tail\.scan_intervall: unknown key/],
    ['a bad duration', 'tail:\n  scan_interval: soon\n', /tail\.yaml:2: tail\.scan_interval: Expected a duration/],
    ['a bad choice', 'tail:\n\n  from: middle\n', /tail\.yaml:3: tail\.from: expected one of beginning, end but found "middle"/],
    ['a wrong type', 'tail:\n  watch: maybe\n', /tail\.yaml:2: tail\.watch: expected true or false/],
    ['an input without paths', 'inputs:\n  - format: syslog\n', /tail\.yaml:2: inputs\[0\]\.paths: missing/],
    // A mapping in feeds is a live source (feeds pull): it needs its type.
    ['a list item of the wrong type', 'feeds:\n  - a.txt\n  - {x: 1}\n', /tail\.yaml:3: feeds\[1\]\.type: missing/],
    ['invalid YAML', 'tail:\n  from: [end\n', /tail\.yaml:\d+: not valid YAML/],
    ['a duplicate key', 'state: a\nstate: b\n', /tail\.yaml:\d+: not valid YAML: Map keys must be unique/],
    ['a bad size', 'scan:\n  max_line_bytes: huge\n', /tail\.yaml:2: scan\.max_line_bytes: Expected a size/],
  ];
  for (const [what, text, message] of bad) {
    it(`names the line and key of ${what}`, async () => {
      const x = (world = new SweepWorld());
      const r = await runCli(['config', 'check', configFile(x, text)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  }

  it('tail --config refuses a bad file before it starts', async () => {
    const x = (world = new SweepWorld());
    const r = await runCli(['tail', '--config', configFile(x, 'tail:\n  from: middle\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tail\.yaml:2: tail\.from/);
  });
});

describe('iochunt tail --config', () => {
  it('follows the inputs minus their excludes, adds their fields and tags; the command line overrides the file', async () => {
    const x = (world = new SweepWorld());
    x.append('app.log', 30);
    x.append('skip.log', 30); // excluded: its hits are not expected
    const skipped = [...x.expected].filter((n) => n > 30);
    for (const n of skipped) x.expected.delete(n);
    const p = configFile(
      x,
      `inputs:
  - paths: ${x.logs}
    exclude: [skip.log]
    fields: {env: prod}
    tags: [web]
feeds: [${x.feed}]
outputs:
  file: ${x.t.path('not-this.jsonl')}
state: ${x.state}
tail:
  scan_interval: 250ms
scan:
  cache: false
  threads: 1
`,
    );
    const run = startCli(['tail', '--config', p, '-o', x.out]);
    await waitFor('the hits', () => new Set(outputDocs(x.out).map(lineNumber)).size >= x.expected.size);
    x.append('app.log', 30);
    await waitFor('the new hits', () => new Set(outputDocs(x.out).map(lineNumber)).size >= x.expected.size);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const docs = outputDocs(x.out);
    expect(sorted(docs.map(lineNumber))).toEqual(sorted(x.expected));
    for (const d of docs) {
      expect(d.labels).toEqual({ env: 'prod' });
      expect(d.tags).toContain('web');
    }
  }, 60_000);
});
