/**
 * The command-line definitions of `feeds pull`, `feeds status` and `config
 * check`. Their code (src/commands/feeds.ts, the configuration and source
 * modules, the HTTP client) is loaded only when one of them runs.
 */
import type { Command } from 'commander';
import type { Reporter } from '../report.js';
import type { FeedsPullOptions } from './feeds.js';

/** Registers `feeds pull`, `feeds status` and `config check` on `program` (kept here so program.ts stays small). */
export function addFeedsCommands(program: Command, exit: (code: number) => void, reporterFor: (quiet: boolean) => Reporter): void {
  const feeds = program
    .command('feeds')
    .summary('live feed sources (OTX, MISP, TAXII 2.1, URL lists): pull them into the feed folder, show their state')
    .description('Pull indicators from the live sources declared in the configuration file into feed files that scan --iocs reads.');
  feeds
    .command('pull')
    .summary('fetch each source once (incrementally) and replace its feed file atomically')
    .description(
      'Fetch the named sources (default: every enabled one) once, merge what changed since the last pull, and replace each ' +
        "source's feed file atomically. A source that fails keeps its previous feed. Exit status: 0 all pulled, 2 any failed.",
    )
    .argument('[NAME...]', 'sources to pull (default: all enabled)')
    .option('-c, --config <FILE>', 'configuration file (default $IOCHUNT_CONFIG)')
    .option('--full', 'ignore cursors and validators: fetch everything again')
    .option('--accept-shrink', "accept a feed that loses more than the source's max_shrink share of its indicators")
    .option('--json', 'also print the per-source results as one JSON document on stdout')
    .option('-q, --quiet', 'print only warnings and errors on stderr')
    .action(async (names: string[], raw: FeedsPullOptions & { quiet?: boolean }) => {
      const { runFeedsPull } = await import('./feeds.js');
      exit(await runFeedsPull(names, raw, reporterFor(raw.quiet === true)));
    });
  feeds
    .command('status')
    .summary("print each source's state: last success, cursor, counts, last error (secrets never shown)")
    .description('Exit status: 0 every enabled source succeeded last time, 1 one failed or never ran, 2 error.')
    .option('-c, --config <FILE>', 'configuration file (default $IOCHUNT_CONFIG)')
    .option('--json', 'print JSON')
    .action(async (raw: { config?: string; json?: boolean }) => {
      const { runFeedsStatus } = await import('./feeds.js');
      exit(await runFeedsStatus(raw, reporterFor(false)));
    });
  program
    .command('config')
    .summary('check the configuration file')
    .command('check')
    .summary('validate a configuration file without running anything; problems name the key and its line')
    .description('Exit status: 0 valid, 2 invalid.')
    .argument('<FILE>', 'configuration file (YAML)')
    .action(async (file: string) => {
      const { runConfigCheck } = await import('./feeds.js');
      exit(await runConfigCheck(file, reporterFor(false)));
    });
}
