/**
 * tsam's entry point, a drop-in for the alertmanager binary: `node dist/src/tsam/main.js [flags]`.
 * Flag errors print kingpin-style and exit 1; SIGTERM/SIGINT stop gracefully (snapshots, cluster
 * leave) and exit 0; SIGHUP reloads the config.
 */
import { isAmchaosError } from '../errors/index.js';
import { App } from './app/app.js';
import { helpText, parseFlags, type Flags } from './flags/flags.js';

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
  return new Promise<number>((resolve) => {
    const shutdown = (sig: string): void => {
      app.logger.info(`Received ${sig}, exiting gracefully...`);
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
