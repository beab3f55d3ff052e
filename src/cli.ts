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
process.exitCode = await main(process.argv);
// 128 + SIGINT/SIGTERM: a scan that was interrupted delivered what it had;
// an input still open (a pipe, a terminal) must not keep the process alive.
if (process.exitCode === 130 || process.exitCode === 143) process.exit();
