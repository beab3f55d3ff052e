/**
 * `npm run bench:es`: iochunt scanning into a real Elasticsearch node on this
 * machine, beside the same scan writing JSON Lines to /dev/null. For mixed
 * logs of a given size and hit rate it reports wall time, MB/s, hits per
 * second indexed and peak RSS for: JSONL only; `--es` into a new target; the
 * same run again (every hit already there); and dense-hit inputs of one and
 * four times the size, whose peak RSS shows that memory stays bounded while
 * Elasticsearch sets the pace. Uses the node of `npm run es:start` when it
 * runs, else starts one. Nothing here is a test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { feedText, LineGenerator, LOG_FORMATS, makeIndicators, Rng } from './corpus.js';
import { readSharedNode, removeNode, startNode, stopNode, type EsNode } from '../test/helpers/es-node.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const OUT = join(ROOT, 'bench', 'out', 'es');

const program = new Command('bench-es')
  .option('--mb <N>', 'size of the mixed corpus in MB', '200')
  .option('--hit-rate <R>', 'share of lines with a planted indicator in the mixed corpus', '0.02')
  .option('--dense-mb <N>', 'size of the dense-hit corpus (50% of lines hit)', '25')
  .option('--dense-copies <LIST>', 'run the dense corpus at these multiples of its size', '1,4')
  .option('--skip-mixed', 'run only the dense corpora')
  .parse();
const opts = program.opts<{ mb: string; hitRate: string; denseMb: string; denseCopies: string; skipMixed?: boolean }>();

interface Corpus {
  readonly feed: string;
  readonly dir: string;
  readonly bytes: number;
  readonly hitLines: number;
}

function makeCorpus(name: string, mb: number, hitRate: number, copies = 1): Corpus {
  const dir = join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const rng = new Rng(4242);
  const set = makeIndicators(rng, { ipv4: 2000, cidr4: 100, ipv6: 300, cidr6: 20, domains: 3000, urls: 500, hashes: 1000, emails: 300 });
  const feed = join(dir, 'feed.txt');
  writeFileSync(feed, feedText(set));
  let bytes = 0;
  let hitLines = 0;
  for (const format of LOG_FORMATS) {
    const gen = new LineGenerator(rng, set, format, { hitRate, decoyRate: 0.1 });
    const lines: string[] = [];
    let size = 0;
    let hits = 0;
    while (size < (mb * 1e6) / LOG_FORMATS.length) {
      const l = gen.next();
      lines.push(l.text);
      size += Buffer.byteLength(l.text) + 1;
      if (l.hits.length > 0) hits++;
    }
    const text = lines.join('\n') + '\n';
    for (let c = 0; c < copies; c++) {
      writeFileSync(join(dir, 'logs', `${format}-${c}.log`), text);
      bytes += size;
      hitLines += hits;
    }
  }
  return { feed, dir: join(dir, 'logs'), bytes, hitLines };
}

function timed(args: string[], env: NodeJS.ProcessEnv): { seconds: number; rssMiB: number; stderr: string; status: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %M', process.execPath, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = /@@time ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing:\n${r.stderr}`);
  return { seconds: Number(m[1]), rssMiB: Number(m[2]) / 1024, stderr: r.stderr.replace(/@@time.*\n?/, ''), status: r.status ?? -1 };
}

async function main(): Promise<void> {
  let node: EsNode | undefined = readSharedNode();
  let owned = false;
  if (!node) {
    node = await startNode({ name: 'bench', securityUser: 'iochunt_admin' });
    owned = true;
  }
  const env = { IOCHUNT_ES_USERNAME: node.username ?? '', IOCHUNT_ES_PASSWORD: node.password ?? '', IOCHUNT_ES_API_KEY: '', IOCHUNT_ES_BEARER_TOKEN: '' };
  const cache = join(OUT, 'cache');
  const rows: string[] = [];
  const row = (what: string, c: Corpus, r: ReturnType<typeof timed>): void => {
    const m = /(\d+) indexed, (\d+) already there \(duplicates\), (\d+) retried, (\d+) dead-lettered; (\d+) bulk/.exec(r.stderr);
    const delivered = m ? Number(m[1]) + Number(m[2]) : undefined;
    rows.push(
      `| ${what} | ${(c.bytes / 1e6).toFixed(0)} | ${c.hitLines} | ${r.seconds.toFixed(2)} | ${(c.bytes / 1e6 / r.seconds).toFixed(1)} | ` +
        `${delivered !== undefined ? Math.round(delivered / r.seconds) : '-'} | ${r.rssMiB.toFixed(0)} | ${m ? `${m[1]} / ${m[2]} / ${m[3]} / ${m[4]} / ${m[5]}` : '-'} | ${r.status} |`,
    );
  };
  const setup = (index: string): void => {
    const r = timed(['es', 'setup', '--es', node.url, '--es-index', index], env);
    if (r.status !== 0) throw new Error(r.stderr);
  };
  const stamp = Date.now();
  try {
    if (!opts.skipMixed) {
      const mixed = makeCorpus('mixed', Number(opts.mb), Number(opts.hitRate));
      const base = ['scan', '--iocs', mixed.feed, mixed.dir, '--cache-dir', cache];
      timed([...base, '--output', '/dev/null'], env); // warm the cache and the page cache
      row('JSONL to /dev/null', mixed, timed([...base, '--output', '/dev/null'], env));
      const index = `logs-iochunt.hits-bench-${stamp}`;
      setup(index);
      row('--es, new target', mixed, timed([...base, '--es', node.url, '--es-index', index], env));
      row('--es, same run again', mixed, timed([...base, '--es', node.url, '--es-index', index], env));
    }

    for (const copies of opts.denseCopies.split(',').map(Number)) {
      const dense = makeCorpus(`dense-${copies}`, Number(opts.denseMb), 0.5, copies);
      const args = ['scan', '--iocs', dense.feed, dense.dir, '--cache-dir', cache];
      timed([...args, '--output', '/dev/null'], env);
      row(`dense ${copies}x, JSONL to /dev/null`, dense, timed([...args, '--output', '/dev/null'], env));
      const idx = `logs-iochunt.hits-bench-dense${copies}-${stamp}`;
      setup(idx);
      row(`dense ${copies}x, --es`, dense, timed([...args, '--es', node.url, '--es-index', idx], env));
    }
  } finally {
    if (owned) {
      await stopNode(node);
      removeNode(node);
    }
  }
  console.log(`${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Elasticsearch 8.19 single node (512 MB heap) on the same machine`);
  console.log('');
  console.log('| run | MB | hit lines | wall s | MB/s | hits/s delivered | peak RSS MiB | indexed / already there / retried / dead-lettered / requests | exit |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const r of rows) console.log(r);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
