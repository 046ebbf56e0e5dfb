import type { HistoryEvent, NodeId, SilencesSampleEvent, StatusSampleEvent } from '../history/types.js';
import { AM_DEFAULTS, capEvidence, describeNode, expectedMembers, fmtT, unknownResult, viewScenario } from './scenario.js';
import type { CheckResult, Evidence } from './types.js';

export const CONVERGENCE = 'convergence';

export interface ConvergenceOptions {
  /** T: how long after the heal the cluster may take (default: see defaultConvergenceWindow). */
  windowMs?: number;
  /** Added to the push-pull interval for the default T (default: the 10 s reconnect interval). */
  reconnectMarginMs?: number;
  maxEvidence?: number;
}

type Sample = StatusSampleEvent | SilencesSampleEvent;

/**
 * convergence: after the last fault is removed (the heal), within T every expected member's
 * status sample shows `ready` with as many peers as there are expected members, and every
 * member's silences sample lists the same active silence IDs — all at one moment (each node's
 * latest sample at that moment). Nodes that went down for good are not expected.
 *
 * Default T = push-pull interval + reconnect margin (a node re-joins lost peers every reconnect
 * interval, and a join is a full push/pull state sync; periodic push/pull bounds the rest), plus
 * the settle timeout when the last disturbance was a node restart (it gossips only once settled).
 */
export function checkConvergence(history: readonly HistoryEvent[], options: ConvergenceOptions = {}): CheckResult {
  const v = viewScenario(history);
  if (!v.ok) return unknownResult(CONVERGENCE, v.reason, [{ kind: 'history', message: v.reason, events: v.events }]);
  const view = v.view;

  const neverRemoved = view.faults.filter((f) => f.end === Infinity);
  if (neverRemoved.length > 0) {
    return unknownResult(
      CONVERGENCE,
      `fault(s) never verified as removed: ${neverRemoved.map((f) => `#${f.fault} ${f.description}`).join(', ')}; there is no heal to converge from`,
      [{ kind: 'no-heal', message: 'the cluster was never healed', events: neverRemoved.map((f) => f.startSeq) }],
    );
  }
  let heal: number | undefined;
  let healSource = '';
  let healSeq: number | undefined;
  let restart = false;
  for (const f of view.faults) {
    if (heal === undefined || f.end > heal) {
      heal = f.end;
      healSource = `fault #${f.fault} (${f.description}) removed`;
      healSeq = f.endSeq;
      restart = false;
    }
  }
  for (const d of view.nodeDown) {
    if (d.end === Infinity) continue;
    if (heal === undefined || d.end > heal) {
      heal = d.end;
      healSource = `${d.node} back after ${d.state}`;
      healSeq = d.endSeq;
      restart = true;
    }
  }
  if (heal === undefined) {
    if (view.readyAt === undefined) return unknownResult(CONVERGENCE, 'no fault was removed and the history does not say when the cluster was ready');
    heal = view.readyAt;
    healSource = 'no faults: from cluster ready';
  }
  const T =
    options.windowMs ??
    view.timers.pushPullIntervalMs + (options.reconnectMarginMs ?? AM_DEFAULTS.reconnectIntervalMs) + (restart ? view.timers.settleTimeoutMs : 0);
  const members = expectedMembers(view);
  const want = members.length;
  const memberSet = new Set(members);

  const post: Sample[] = [];
  for (const s of view.statusSamples) if (s.t >= heal && memberSet.has(s.node)) post.push(s);
  for (const s of view.silenceSamples) if (s.t >= heal && memberSet.has(s.node)) post.push(s);
  post.sort((a, b) => a.t - b.t || a.seq - b.seq);

  const figuresBase: CheckResult['figures'] = {
    healAt: heal,
    healSource,
    windowMs: T,
    expectedPeers: want,
  };
  const unsampled = members.filter(
    (id) => !post.some((s) => s.node === id && s.type === 'status.sample') || !post.some((s) => s.node === id && s.type === 'silences.sample'),
  );
  if (unsampled.length > 0) {
    return unknownResult(
      CONVERGENCE,
      `no status and silences samples after the heal (${fmtT(heal)}) from ${unsampled.join(', ')}`,
      [{ kind: 'unsampled', message: `missing post-heal samples from ${unsampled.join(', ')}`, events: healSeq !== undefined ? [healSeq] : [] }],
      figuresBase,
    );
  }

  // Sweep: each node's latest state; converged at the first instant every member agrees.
  const ok = new Map<NodeId, StatusSampleEvent>();
  const sets = new Map<NodeId, SilencesSampleEvent>();
  const key = (s: SilencesSampleEvent): string | null => (s.active === undefined ? null : [...s.active].sort().join('\u0000'));
  // Members are compared by name, not by count: a node that lists the right number of peers but a
  // stale one (a restarted node's old ULID, a member of another cluster) has not converged. Each
  // member's name is its fixed peer name or the latest one its own post-heal samples reported;
  // when some member's name is unknown (older histories), the count is all there is.
  const names = new Map<NodeId, string>();
  for (const id of members) {
    const fixed = view.start.nodes.find((d) => d.id === id)?.peerName;
    if (fixed) names.set(id, fixed);
  }
  for (const s of post) if (s.type === 'status.sample' && s.name && !view.start.nodes.find((d) => d.id === s.node)?.peerName) names.set(s.node, s.name);
  const wantNames = names.size === members.length ? [...names.values()].sort().join('\u0000') : undefined;
  figuresBase['comparedBy'] = wantNames !== undefined ? 'member names' : 'peer count (member names unknown)';
  const statusOk = (s: StatusSampleEvent | undefined): boolean =>
    s !== undefined && s.clusterStatus === 'ready' && (wantNames !== undefined ? [...s.peers].sort().join('\u0000') === wantNames : s.peers.length === want);
  let convergedAt: number | undefined;
  let agreed: string | null = null;
  for (const s of post) {
    if (s.type === 'status.sample') ok.set(s.node, s);
    else sets.set(s.node, s);
    if (convergedAt !== undefined) continue;
    if (!members.every((id) => statusOk(ok.get(id)))) continue;
    const keys = members.map((id) => {
      const e = sets.get(id);
      return e ? key(e) : null;
    });
    if (keys[0] === null || keys[0] === undefined || !keys.every((k) => k === keys[0])) continue;
    convergedAt = s.t;
    agreed = keys[0];
  }

  const figures: CheckResult['figures'] = { ...figuresBase, convergedAt: convergedAt ?? null, timeToConvergeMs: convergedAt !== undefined ? convergedAt - heal : null };
  const perNodeLate: Evidence[] = [];
  for (const id of members) {
    const peersAt = post.find((s): s is StatusSampleEvent => s.type === 'status.sample' && s.node === id && statusOk(s));
    figures[`peersConvergedMs:${id}`] = peersAt ? peersAt.t - heal : null;
    if (agreed !== null) {
      const silAt = post.find((s): s is SilencesSampleEvent => s.type === 'silences.sample' && s.node === id && key(s) === agreed);
      figures[`silencesConvergedMs:${id}`] = silAt ? silAt.t - heal : null;
      const last = Math.max(peersAt?.t ?? Infinity, silAt?.t ?? Infinity);
      if (last - heal > T) {
        perNodeLate.push({
          kind: 'late',
          message: `${describeNode(view, id)} converged ${((last - heal) / 1000).toFixed(3)}s after the heal (T = ${(T / 1000).toFixed(3)}s)`,
          events: [peersAt?.seq, silAt?.seq].filter((x): x is number => x !== undefined),
          data: { node: id, peersAtMs: peersAt ? peersAt.t - heal : null, silencesAtMs: silAt ? silAt.t - heal : null },
        });
      }
    }
  }

  if (convergedAt !== undefined && convergedAt - heal <= T) {
    return {
      name: CONVERGENCE,
      verdict: 'pass',
      summary: `converged ${((convergedAt - heal) / 1000).toFixed(3)}s after the heal (${healSource}); T = ${(T / 1000).toFixed(3)}s`,
      figures,
      evidence: [],
    };
  }
  if (convergedAt !== undefined) {
    if (perNodeLate.length === 0) {
      // Every node got there in time on its own, but not all at once (some regressed in between).
      perNodeLate.push({
        kind: 'late',
        message: `nodes reached the agreed state at different times and only agreed all at once at ${fmtT(convergedAt)}`,
        events: [],
      });
    }
    const { evidence, truncated } = capEvidence(perNodeLate.map((e) => ({ ...e, fails: true })), options.maxEvidence ?? 100);
    if (truncated > 0) figures['evidenceTruncated'] = truncated;
    return {
      name: CONVERGENCE,
      verdict: 'fail',
      summary: `converged only ${((convergedAt - heal) / 1000).toFixed(3)}s after the heal (${healSource}), later than T = ${(T / 1000).toFixed(3)}s`,
      figures,
      evidence,
    };
  }

  // Not converged: a failure only if every member was observed past heal + T.
  const deadline = heal + T;
  const observedPast = members.every(
    (id) =>
      post.some((s) => s.node === id && s.type === 'status.sample' && s.t >= deadline) &&
      post.some((s) => s.node === id && s.type === 'silences.sample' && s.t >= deadline),
  );
  const evidence = divergenceEvidence(view, members, ok, sets, want, key, statusOk, [...names.values()].sort());
  if (!observedPast) {
    return unknownResult(CONVERGENCE, `not converged when the history ended at ${fmtT(view.endT)}, before heal + T = ${fmtT(deadline)}`, evidence, figures);
  }
  const capped = capEvidence(evidence.map((e) => ({ ...e, fails: true })), options.maxEvidence ?? 100);
  if (capped.truncated > 0) figures['evidenceTruncated'] = capped.truncated;
  return {
    name: CONVERGENCE,
    verdict: 'fail',
    summary: `not converged within T = ${(T / 1000).toFixed(3)}s after the heal (${healSource}), nor by the end of the history`,
    figures,
    evidence: capped.evidence,
  };
}

/** Per node: its last status and silences sample, what it lacked compared with the others. */
function divergenceEvidence(
  view: Parameters<typeof describeNode>[0],
  members: NodeId[],
  ok: Map<NodeId, StatusSampleEvent>,
  sets: Map<NodeId, SilencesSampleEvent>,
  want: number,
  key: (s: SilencesSampleEvent) => string | null,
  statusOk: (s: StatusSampleEvent | undefined) => boolean,
  expectedNames: string[],
): Evidence[] {
  const union = new Set<string>();
  for (const s of sets.values()) for (const id of s.active ?? []) union.add(id);
  const keys = new Set([...sets.values()].map(key));
  const out: Evidence[] = [];
  for (const id of members) {
    const st = ok.get(id);
    const si = sets.get(id);
    const problems: string[] = [];
    if (st && !statusOk(st)) {
      const names = expectedNames.length === members.length ? ` (expected [${expectedNames.join(', ')}])` : '';
      problems.push(`status ${st.clusterStatus} with ${st.peers.length}/${want} peers [${st.peers.join(', ')}]${names} at ${fmtT(st.t)}`);
    }
    if (si && si.active === undefined) problems.push(`silences unreachable at ${fmtT(si.t)}`);
    else if (si && keys.size > 1) {
      const lacks = [...union].filter((x) => !si.active!.includes(x)).sort();
      if (lacks.length > 0) problems.push(`lacks silence(s) ${lacks.join(', ')} at ${fmtT(si.t)}`);
    }
    if (problems.length === 0) continue;
    out.push({
      kind: 'not-converged',
      message: `${describeNode(view, id)}: ${problems.join('; ')}`,
      events: [st?.seq, si?.seq].filter((x): x is number => x !== undefined),
      data: { node: id, peers: st?.peers ?? null, clusterStatus: st?.clusterStatus ?? null, active: si?.active ?? null },
    });
  }
  return out;
}
