#!/usr/bin/env node
/**
 * The `iochunt` executable. Sets the libuv thread pool large enough for the
 * scan threads before any asynchronous work starts, then runs the program.
 */
import { availableParallelism } from 'node:os';

if (!process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, availableParallelism() + 2));
}

const { main } = await import('./program.js');
const { inputAbandoned } = await import('./commands/scan.js');
process.exitCode = await main(process.argv);
// A scan that stopped early (interrupted, or stdout closed) has delivered what
// it had; an input it stopped reading (a pipe, a terminal) must not keep the
// process alive.
if (inputAbandoned()) process.exit();
