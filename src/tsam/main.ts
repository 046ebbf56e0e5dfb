/**
 * tsam's entry point, a drop-in for the alertmanager binary: `node dist/src/tsam/main.js [flags]`.
 * Flag errors print kingpin-style and exit 1; SIGTERM/SIGINT stop gracefully (snapshots, cluster
 * leave) and exit 0; SIGHUP reloads the config.
 */
import { configureV8, startMemoryWatchdog } from './memory/memory.js';

// Memory budget (< 80 MB resident per node, about 40 MB of which is Node itself). The V8 flags must
// be set before the rest of tsam is loaded, hence the dynamic imports below.
// TSAM_V8_DEFAULTS=1 turns this off (for comparing memory with and without it).
const tuneMemory = process.env['TSAM_V8_DEFAULTS'] !== '1';
if (tuneMemory) configureV8();

// FAULT clock-skew: the wall clock must be offset before anything that reads it is loaded.
{
  const { clockSkewFromArgv, installClockSkew } = await import('./faults/clock.js');
  const { parseClockSkew } = await import('./faults/faults.js');
  try {
    installClockSkew(clockSkewFromArgv(process.argv.slice(2), parseClockSkew));
  } catch {
    // A bad value is reported by the flag parser below, with kingpin's wording.
  }
}

const { isAmchaosError } = await import('../errors/index.js');
const { App } = await import('./app/app.js');
const { helpText, parseFlags } = await import('./flags/flags.js');
type Flags = import('./flags/flags.js').Flags;
type App = import('./app/app.js').App;

const APP = 'tsam';

async function main(argv: readonly string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    process.stderr.write(`${APP}: error: ${(e as Error).message}\n`);
    return 1;
  }
  if (flags.help) {
    process.stdout.write(helpText(APP));
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${APP} (alertmanager compatible, version=${flags.tsamCompat})\n`);
    return 0;
  }
  let app: App;
  try {
    app = await App.start(flags);
  } catch (e) {
    const msg = isAmchaosError(e) ? e.format() : e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`${APP}: ${msg}\n`);
    return 1;
  }
  const watchdog = tuneMemory ? startMemoryWatchdog() : undefined;
  return new Promise<number>((resolve) => {
    const shutdown = (sig: string): void => {
      app.logger.info(`Received ${sig}, exiting gracefully...`);
      watchdog?.stop();
      app.stop().then(
        () => resolve(0),
        (e: unknown) => {
          app.logger.error('graceful stop failed', { err: e });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      app.reload().catch(() => undefined);
    });
  });
}

process.exitCode = await main(process.argv.slice(2));
// Exit explicitly: keep-alive sockets of the webhook client must not hold the process open.
process.exit();
