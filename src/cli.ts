#!/usr/bin/env node
/**
 * The `iochunt` executable. Sets the libuv thread pool large enough for the
 * scan threads before any asynchronous work starts, turns on the compile
 * cache, then runs the program. Only what a command needs is loaded: `iochunt
 * --version` alone loads no command at all.
 */
import { availableParallelism } from 'node:os';
import { enableCompileCache } from './startup/compile-cache.js';

if (!process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, availableParallelism() + 2));
}

const args = process.argv.slice(2);
enableCompileCache(args);

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What the program prints for --version, without building the program.
  const { printVersion } = await import('./version.js');
  process.exitCode = await printVersion();
} else {
  const { main } = await import('./program.js');
  process.exitCode = await main(process.argv);
  // A scan that stopped early (interrupted, or stdout closed) has delivered what
  // it had; an input it stopped reading (a pipe, a terminal) must not keep the
  // process alive.
  const { inputAbandoned } = await import('./commands/input-abandoned.js');
  if (inputAbandoned()) process.exit();
}
