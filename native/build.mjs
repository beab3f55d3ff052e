// Builds the native addon when Hyperscan is installed; otherwise explains and
// exits 0, so that installing iochunt never fails: `scan` then falls back to the
// TypeScript engine with one warning. IOCHUNT_SKIP_NATIVE=1 skips the build;
// IOCHUNT_REQUIRE_NATIVE=1 turns a missing library or a failed build into an error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.env.IOCHUNT_REQUIRE_NATIVE === '1';

function giveUp(message) {
  const text = `iochunt: native engine not built: ${message}\n` +
    'iochunt: install Hyperscan (Debian/Ubuntu: apt-get install libhyperscan-dev pkg-config; ARM: libvectorscan-dev) and run `npm run build:native`.\n';
  process.stderr.write(text);
  process.exit(required ? 1 : 0);
}

if (process.env.IOCHUNT_SKIP_NATIVE === '1') giveUp('IOCHUNT_SKIP_NATIVE=1');

const pc = spawnSync('pkg-config', ['--exists', 'libhs'], { stdio: 'ignore' });
if (pc.error) giveUp('pkg-config is not installed');
if (pc.status !== 0) giveUp('pkg-config cannot find libhs (Hyperscan)');

// node-gyp: ours if installed, else the copy npm runs install scripts with.
let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = process.env.npm_config_node_gyp;
}
if (!gyp || !existsSync(gyp)) giveUp('node-gyp is not available');

// Use the headers installed with this Node when there are some, so that no
// download is needed. node-gyp lets npm_config_nodedir override --nodedir, and
// Debian's npm sets it to /usr (the system Node's headers, which may be another
// Node's or absent): set it too.
const args = [gyp, 'rebuild', '--release', `--jobs=${process.env.JOBS ?? 'max'}`];
const env = { ...process.env };
const prefix = dirname(dirname(process.execPath));
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
  env.npm_config_nodedir = prefix;
}

const r = spawnSync(process.execPath, args, { cwd: here, env, stdio: ['ignore', 'inherit', 'inherit'] });
if (r.status !== 0) giveUp(`node-gyp exited with ${r.status ?? r.signal}`);
