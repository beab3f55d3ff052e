/**
 * Fails and times out on purpose, after making a temp dir, filling the CLI
 * cache and leaving CLI runs waiting on their stdin: test/temp-cleanup.test.ts
 * runs it and checks that nothing of that is left. Not part of `npm test`.
 */
import { appendFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const t = tmpDir();
const iocs = t.write('iocs.txt', '198.51.100.7\n');

/** A scan of stdin that never ends by itself; its pid goes to the file the outer test reads. */
function leftRunning(): void {
  const run = startCli(['scan', '-q', '--iocs', iocs]);
  appendFileSync(process.env.IOCHUNT_CLEANUP_PIDS as string, `${run.child.pid}\n`);
}

it('fails after making a temp dir, a cache and a CLI run that does not end', async () => {
  const done = await runCli(['scan', '-q', '--iocs', iocs, t.write('a.log', 'from 198.51.100.7\n')]);
  expect(done.docs.length).toBe(1);
  leftRunning();
  expect('this test').toBe('failing on purpose');
});

it('times out while a CLI run waits on its stdin', async () => {
  leftRunning();
  await new Promise(() => undefined);
}, 1500);
