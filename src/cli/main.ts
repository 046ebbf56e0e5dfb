import { Command, CommanderError, Option } from 'commander';
import { AmchaosError, BAD_INPUT_CODES, isAmchaosError } from '../errors/index.js';
import { EXIT } from '../checkers/outcome.js';
import { listVersions } from '../versions/index.js';
import { defaultResolveOptions } from '../versions/resolve.js';
import { versionProviders } from '../run/runtime-registry.js';
import type { SuiteRegistry } from '../run/suite-source.js';
import { amchaosVersion, EXAMPLES, examplesText, prometheusVersionsTable, runHelpText, suitesTable, versionsTable } from './help.js';
import { parseNodes, parsePort, parseReplicas, parseRuntime, parseSeed, parseSource, parseVersionsList, RUNTIMES, TIMER_FLAGS, timerDefaultText, timerOverridesFromFlags } from './options.js';

/**
 * amchaos's command line. Bad input exits 254 before anything starts; a run exits 0 (pass),
 * 1 (fail) or 2 (unknown); Ctrl-C tears everything down and exits 130.
 */
/** The built-in suites, loaded only by the commands that need them (the entry point supplies them: src/ never imports suites/). */
export type SuiteLoader = () => Promise<SuiteRegistry>;

export function buildProgram(loadSuites: SuiteLoader): Command {
  const program = new Command('amchaos')
    .description('Chaos and integration tests for Prometheus Alertmanager clusters')
    .version(amchaosVersion(), '-V, --version', 'print the amchaos version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run `amchaos <command> --help` for the options)')
    .addHelpText('after', examplesText(EXAMPLES.amchaos));

  const run = program
    .command('run')
    .description('start clusters, run a suite against each, check, and write a report')
    .requiredOption('--suite <name>', '(required) the suite to run: see `amchaos suites`')
    .option('--versions <list>', 'comma-separated clusters; join versions with + for one mixed cluster', '0.33.1')
    .option('--nodes <n>', 'size of each unmixed cluster', '3')
    .option('--runtime <name>', `${RUNTIMES.join(' | ')} (netns needs root, docker a Docker engine)`, 'process')
    .option('--out <dir>', 'run directory, created (default: reports/<run-id>); an existing run directory needs --force')
    .option('--force', 'with --out: clear an existing run directory first (it says what it removed)')
    .option('--seed <n>', 'replay a run with its seed')
    .option('--no-cluster', 'start the same nodes without peering (the control that must fail)')
    .option('--config <file>', 'your alertmanager.yml: routing kept, receivers replaced by the capture')
    .option('--alerts <file>', 'YAML list of alert label sets to fire instead of generated ones')
    .option('--groups <n>', 'number of generated alert groups', '4')
    .option('--receiver-port <port>', 'port of the capturing receiver on 127.0.0.1 (default: any free port)')
    .option('--log-level <level>', 'node log level: debug | info', 'debug')
    .option('--source <source>', 'the alert source: workload (built in) | prometheus (real Prometheus replicas)', 'workload')
    .option('--prometheus <version>', 'Prometheus version with --source prometheus: 2.42.0, 2.53.3, 3.5.3, upstream:X.Y.Z, a path (default 2.42.0)')
    .option('--prometheus-replicas <n>', 'Prometheus replicas, each sending to every node (default 2)')
    .option('--rules <file>', 'your Prometheus rule file (checked with promtool), evaluated over the exporter\'s amchaos_alert gauges')
    .option('--prometheus-config <file>', 'your prometheus.yml: its alerting: section and alert_relabel_configs kept, Alertmanager targets replaced by the cluster')
    .option('--upgrade-to <version>', 'the version upgrade faults restart nodes with (rolling-upgrade)')
    .option('--shard <i/n>', 'run only the i-th of n stable slices of the clusters (CI; merge with `amchaos report merge`)');
  for (const [flag, key, help] of TIMER_FLAGS) run.addOption(new Option(`--${flag} <duration>`, `${help} (default: ${timerDefaultText(key)})`));
  run.addHelpText('after', runHelpText() + examplesText(EXAMPLES.run));
  run.action(async (flags: Record<string, unknown>) => {
    const [{ runCommand }, { resolveSuite }] = await Promise.all([import('../run/run.js'), import('../run/suite-source.js')]);
    const nodes = parseNodes(String(flags['nodes']));
    const groups = parseNodes(String(flags['groups']));
    const logLevel = String(flags['logLevel']);
    if (logLevel !== 'debug' && logLevel !== 'info') {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--log-level must be debug or info, got "${logLevel}"`);
    }
    const suite = await resolveSuite(String(flags['suite']), await loadSuites());
    const { parseShard } = await import('../run/shard.js');
    const code = await runCommand({
      ...(flags['upgradeTo'] !== undefined ? { upgradeTo: String(flags['upgradeTo']) } : {}),
      ...(flags['shard'] !== undefined ? { shard: parseShard(String(flags['shard'])) } : {}),
      suite,
      clusters: parseVersionsList(String(flags['versions']), nodes),
      runtime: parseRuntime(String(flags['runtime'])),
      ...(flags['out'] ? { outDir: String(flags['out']) } : {}),
      force: flags['force'] === true,
      ...(flags['seed'] !== undefined ? { seed: parseSeed(String(flags['seed'])) } : {}),
      clustered: flags['cluster'] !== false,
      ...(flags['config'] ? { configFile: String(flags['config']) } : {}),
      ...(flags['alerts'] ? { alertsFile: String(flags['alerts']) } : {}),
      groups,
      ...(flags['receiverPort'] ? { receiverPort: parsePort(String(flags['receiverPort']), '--receiver-port') } : {}),
      logLevel,
      timers: timerOverridesFromFlags(flags),
      argv: process.argv.slice(2),
      source: parseSource(String(flags['source'])),
      prometheus: {
        ...(flags['prometheus'] !== undefined ? { version: String(flags['prometheus']) } : {}),
        ...(flags['prometheusReplicas'] !== undefined ? { replicas: parseReplicas(String(flags['prometheusReplicas'])) } : {}),
        ...(flags['rules'] !== undefined ? { rulesFile: String(flags['rules']) } : {}),
        ...(flags['prometheusConfig'] !== undefined ? { configFile: String(flags['prometheusConfig']) } : {}),
      },
    });
    process.exitCode = code;
  });

  program
    .command('catalogue')
    .description('run every failure-mode scenario once per version and write the matrix (failure mode × version → reproduced / not reproduced / unknown) with the report')
    .option('--versions <list>', 'comma-separated versions, one column each', '0.25.0,0.28.1,0.33.1,tsam')
    .option('--out <dir>', 'the catalogue directory (default reports/catalogue-<time>); scenario runs go to <dir>/runs/')
    .option('--shard <i/n>', 'run only the i-th of n stable slices (CI), merge the shards with `amchaos report merge`')
    .option('--concurrency <n>', 'clusters at once (a suite that loads the machine runs alone)', '3')
    .option('--suites <list>', 'only these suites (comma-separated)')
    .addHelpText('after', examplesText(EXAMPLES.catalogue))
    .action(async (flags: { versions: string; out?: string; shard?: string; concurrency: string; suites?: string }) => {
      const [{ catalogueCommand, parseCatalogueVersions }, { parseShard }] = await Promise.all([import('../catalogue/catalogue.js'), import('../run/shard.js')]);
      process.exitCode = await catalogueCommand(await loadSuites(), {
        versions: parseCatalogueVersions(flags.versions),
        outDir: flags.out ?? `reports/catalogue-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`,
        ...(flags.shard !== undefined ? { shard: parseShard(flags.shard) } : {}),
        concurrency: parseNodes(flags.concurrency),
        ...(flags.suites !== undefined ? { suites: flags.suites.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
        argv: process.argv.slice(2),
      });
    });

  program
    .command('suites')
    .description('list the suites, what each proves, and which runtime (and so root) each needs')
    .addHelpText('after', examplesText(EXAMPLES.suites))
    .action(async () => {
      process.stdout.write(suitesTable(Object.values(await loadSuites())));
    });

  program
    .command('versions')
    .description('list the Alertmanager and Prometheus versions that resolve here, and from where')
    .option('--offline', 'do not consider fetching')
    .option('--fetch <list>', 'resolve these Alertmanager versions now (comma-separated), downloading what is missing, and print where each is')
    .option('--fetch-prometheus <list>', 'the same for Prometheus versions (e.g. 2.42.0,3.5.3)')
    .addHelpText('after', examplesText(EXAMPLES.versions))
    .action(async (flags: { offline?: boolean; fetch?: string; fetchPrometheus?: string }) => {
      if (flags.fetch !== undefined || flags.fetchPrometheus !== undefined) {
        // Set-up scripts call this so a run (or a test) never pays for a download mid-way.
        const { resolveVersion, resolvePrometheus } = await import('../versions/index.js');
        for (const v of new Set(flags.fetch !== undefined ? parseVersionsList(flags.fetch, 1).flat() : [])) {
          const r = await resolveVersion(v, defaultResolveOptions({ fetch: !flags.offline }), versionProviders());
          process.stdout.write(`${v.padEnd(10)} ${r.source}\n`);
        }
        for (const v of new Set(flags.fetchPrometheus !== undefined ? parseVersionsList(flags.fetchPrometheus, 1).flat() : [])) {
          const r = await resolvePrometheus(v, defaultResolveOptions({ fetch: !flags.offline }));
          process.stdout.write(`prometheus ${v.padEnd(10)} ${r.source}\n`);
        }
        return;
      }
      const { listPrometheusVersions } = await import('../versions/index.js');
      const opts = defaultResolveOptions({ fetch: !flags.offline });
      process.stdout.write(versionsTable(await listVersions(opts, versionProviders())));
      process.stdout.write(prometheusVersionsTable(await listPrometheusVersions(opts)));
    });

  program
    .command('check')
    .description('re-judge a stored run with the current checkers: a fresh summary.json (the old one kept as summary.previous.json) and report')
    .argument('<dir>', 'a run directory (with summary.json and history.jsonl)')
    .addHelpText('after', examplesText(EXAMPLES.check))
    .action(async (dir: string) => {
      const [{ checkCommand }, { exitCodeOf }] = await Promise.all([import('../run/check.js'), import('../checkers/outcome.js')]);
      const r = await checkCommand(dir, await loadSuites());
      for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
      const lines = [`verdict: ${r.outcome.toUpperCase()}`];
      for (const s of r.summary.scenarios) {
        lines.push(`  ${s.outcome.padEnd(16)} ${s.id}`);
        for (const c of s.checks) lines.push(`           ${c.verdict.padEnd(7)} ${c.name}: ${c.summary}`);
      }
      lines.push(r.changes.length ? `changed: ${r.changes.join('; ')}` : 'unchanged: every scenario has the outcome it had');
      lines.push(`report: ${dir.replace(/\/$/, '')}/index.html`);
      process.stdout.write(lines.join('\n') + '\n');
      process.exitCode = exitCodeOf(r.outcome);
    });

  const report = program
    .command('report')
    .description('re-render the HTML report and JUnit XML of a run directory (or of every run in a reports folder)')
    .argument('<dir>', 'a run directory (with summary.json) or a folder of runs')
    .addHelpText('after', examplesText(EXAMPLES.report))
    .action(async (dir: string) => {
      const { reportCommand } = await import('../report/index.js');
      const { exitCodeOf } = await import('../checkers/outcome.js');
      const r = await reportCommand(dir);
      for (const d of r.rendered) process.stdout.write(`rendered ${d}\n`);
      for (const f of r.failed) process.stderr.write(`could not render ${f.dir}: ${f.error}\n`);
      if (r.index) process.stdout.write(`index ${r.index}\n`);
      // A single run's re-render exits like the run did; a folder exits 0 unless a run failed to render.
      process.exitCode = r.outcome ? exitCodeOf(r.outcome) : r.failed.length > 0 ? 2 : 0;
    });
  report
    .command('merge')
    .description('merge run directories (CI shards, catalogue parts) into one run directory: one report, one junit.xml, one matrix')
    .argument('<dirs...>', 'the run directories to merge (each with summary.json)')
    .option('--out <dir>', 'the merged run directory to write (default reports/merged-<time>)')
    .addHelpText('after', examplesText(EXAMPLES.merge))
    .action(async (dirs: string[], flags: { out?: string }) => {
      const out = flags.out ?? `reports/merged-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
      const [{ mergeRunDirs }, { exitCodeOf }] = await Promise.all([import('../report/merge.js'), import('../checkers/outcome.js')]);
      const r = await mergeRunDirs(dirs, out, { log: (l) => process.stderr.write(l + '\n') });
      process.stdout.write(`merged ${dirs.length} run(s): ${r.summary.scenarios.length} scenario(s), ${r.summary.outcome.toUpperCase()}\nreport: ${out.replace(/\/$/, '')}/index.html\njunit: ${out.replace(/\/$/, '')}/junit.xml\n${r.summary.catalogue ? `matrix: ${out.replace(/\/$/, '')}/catalogue.html\n` : ''}`);
      process.exitCode = exitCodeOf(r.summary.outcome);
    });

  program
    .command('proxy')
    .description('run the link proxy on its own (Toxiproxy HTTP API, TCP + UDP)')
    .option('--listen <addr>', 'host:port of the HTTP API', '127.0.0.1:8474')
    .option('--config <file>', 'a JSON list of proxies to create at start (as Toxiproxy\'s -config)')
    .addHelpText('after', examplesText(EXAMPLES.proxy))
    .action(async (flags: { listen: string; config?: string }) => {
      const { runProxyCommand } = await import('../proxy/cli.js');
      await runProxyCommand({ listen: flags.listen, ...(flags.config ? { config: flags.config } : {}) });
    });

  program
    .command('sweep')
    .description('remove what killed runs left behind (processes, namespaces, firewall rules, temp dirs)')
    .addHelpText('after', examplesText(EXAMPLES.sweep))
    .action(async () => {
      const { sweepEverything } = await import('../run/sweep.js');
      const removed = await sweepEverything();
      process.stdout.write(removed.length ? removed.map((r) => `removed ${r}`).join('\n') + '\n' : 'nothing to remove\n');
    });

  program
    .command('tsam')
    .description('run tsam, the TypeScript Alertmanager (takes the same flags as alertmanager)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[flags...]')
    .addHelpText('after', examplesText(EXAMPLES.tsam))
    .action(async () => {
      const at = process.argv.indexOf('tsam');
      const args = process.argv.slice(at + 1);
      // tsam prints its own (alertmanager's) flags; say first how amchaos runs it, with examples.
      if (args.includes('--help') || args.includes('-h')) process.stdout.write(`Usage: amchaos tsam [alertmanager flags]\n\nRuns tsam, the TypeScript Alertmanager, in the foreground.\n${examplesText(EXAMPLES.tsam)}\n`);
      process.argv = [process.argv[0]!, process.argv[1]!, ...args];
      await import('../tsam/main.js');
    });

  return program;
}

/** Runs the CLI on process.argv; sets process.exitCode (never throws). */
export async function main(loadSuites: SuiteLoader): Promise<void> {
  // `amchaos suites | head -3`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const program = buildProgram(loadSuites);
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; anything else commander rejects is bad input.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.badArguments;
      return;
    }
    if (isAmchaosError(e)) {
      process.stderr.write(e.format() + '\n');
      process.exitCode = BAD_INPUT_CODES.has(e.code) ? EXIT.badArguments : e.code === 'AMCHAOS_INTERRUPTED' ? EXIT.interrupted : EXIT.unknown;
      return;
    }
    process.stderr.write(`amchaos: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT.unknown;
  }
}
