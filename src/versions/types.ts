/**
 * A version provider turns a version string ("0.28.1", "/opt/am/alertmanager", "tsam") into
 * something a runtime can start. Providers never install anything system-wide.
 */
export interface ResolvedVersion {
  /** The string the user gave. */
  requested: string;
  impl: 'alertmanager' | 'tsam';
  /** Semver-ish version of the implementation's behaviour ("0.25.0"; for tsam, the compat version). */
  version: string;
  /** What `--version` prints, when known. */
  reportedVersion?: string;
  /** Program and leading arguments to start a node: [binary] or [node, tsam-entry, ...]. */
  command: string[];
  /** amtool from the same build, when the provider has it (config checks). */
  amtool?: string;
  /**
   * The directory this build reads its templates from at the compiled-in path, and that path.
   * Debian builds read /usr/share/prometheus/alertmanager; runtimes must give each node its own.
   */
  templates?: { dir: string; mountAt: string };
  /** Provider name and where it found the build ("debian:trixie /root/.cache/amchaos/..."). */
  source: string;
  /** Extra flags the implementation needs (e.g. tsam fault switches). */
  extraArgs: string[];
  /**
   * A container image that holds this build (`image:REF`): it runs only on the docker runtime, whose
   * node containers start the image's own entrypoint. Host builds (no `image`) are packed into an
   * image there.
   */
  image?: string;
  /** What this build's command line supports (flags differ across versions). */
  features: { peerName: boolean; clusterLabel: boolean };
}

export interface VersionProvider {
  readonly name: string;
  /** Returns undefined if this provider does not handle the string at all. */
  resolve(requested: string, opts: ResolveOptions): Promise<ResolvedVersion | undefined>;
  /** What this provider could resolve, for `amchaos versions`. */
  list(opts: ResolveOptions): Promise<AvailableVersion[]>;
}

export interface AvailableVersion {
  version: string;
  provider: string;
  /** "cached", "installed", "fetchable", "builtin" */
  state: string;
  where?: string;
}

export interface ResolveOptions {
  cacheDir: string;
  /** Allow network-ish work (apt download). False for `amchaos versions --offline`. */
  fetch: boolean;
  log?: (line: string) => void;
}
