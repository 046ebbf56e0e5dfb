/**
 * Every figure the checkers, the scenario runner and the suites write, described for a person: a
 * label, a unit, and one line that says what it counts and how it is made up (shown on hover).
 * summary.json keeps the raw keys; the report shows these. One table, in one place:
 * figures.test.ts fails when a checker or a suite writes a key this table does not describe.
 *
 * Units say what one of the thing is — notifications, alerts, group transitions are different
 * words for different things: one notification carries every alert of its group, and a group
 * transition is one change of a group's state (firing → resolved) that should be notified once.
 */

export type FigureKind =
  /** A number of things: the unit names the thing. */
  | 'count'
  /** A duration in milliseconds. */
  | 'ms'
  /** A moment on the history's clock (ms): shown as t= seconds since the scenario start, like the timeline. */
  | 'at'
  | 'ratio'
  | 'text'
  | 'bool'
  /** A list of numbers or names. */
  | 'list'
  /** A structured value (per node, per link, per phase): shown as compact JSON. */
  | 'json';

export interface FigureInfo {
  label: string;
  kind: FigureKind;
  /** What one of it is ("notifications", "ms", "nodes"); '' when the label says it (yes/no, text). */
  unit: string;
  /** One line: what it is, and how it is made up where the check adds slack. */
  help: string;
  /** Shown large at the top of its check. */
  headline?: boolean;
  /** A value above zero is bad (highlighted). */
  bad?: boolean;
}

const count = (label: string, unit: string, help: string, more: Partial<FigureInfo> = {}): FigureInfo => ({ label, kind: 'count', unit, help, ...more });
const ms = (label: string, help: string, more: Partial<FigureInfo> = {}): FigureInfo => ({ label, kind: 'ms', unit: 'ms', help, ...more });
const at = (label: string, help: string): FigureInfo => ({ label, kind: 'at', unit: 's since the scenario start', help });
const text = (label: string, help: string): FigureInfo => ({ label, kind: 'text', unit: '', help });
const json = (label: string, unit: string, help: string): FigureInfo => ({ label, kind: 'json', unit, help });

/** Keys every check may write. */
const COMMON: Record<string, FigureInfo> = {
  evidenceTruncated: count('Evidence items not kept', 'items', 'More evidence than the check keeps (100 by default): these were counted but not listed.'),
};

/**
 * The windows the checks use, explained once: N nodes, peer timeout P, the route's group_wait and
 * group_interval; margins are the checks' slack for the webhook itself and scheduling.
 */
const HORIZON =
  'first delivery + (N−1) × peer timeout (the last position\'s wait) + one retry (1 s; until max(group_interval, 10 s) when the capture saw sends fail) + 500 ms margin';

export const FIGURES: Readonly<Record<string, Readonly<Record<string, FigureInfo>>>> = {
  'exactly-once': {
    notifications: count('Notifications delivered', 'notifications', 'Notifications the receiver answered 2xx, all scenario long (healthy time and faults).'),
    notificationsUndelivered: count('Notifications not delivered', 'notifications', 'Attempts the receiver answered with an error (or did not answer): Alertmanager retries these.'),
    groups: count('Alert groups', 'groups', 'Distinct (receiver, route, group labels) that were notified.'),
    transitions: count('Group transitions', 'transitions', 'Changes of a group\'s notified state (new firing alerts, resolutions) — each should be notified once.'),
    healthyTransitions: count('Transitions while healthy', 'transitions', 'Group transitions whose first delivery came while the cluster was ready, settled and free of faults: the ones held to exactly once.', { headline: true }),
    duplicates: count('Duplicates while healthy', 'notifications', 'Copies of a healthy transition that Alertmanager\'s own dedup rule would have suppressed: each one fails the check.', { headline: true, bad: true }),
    duplicatesDuringFaults: count('Duplicates during faults', 'notifications', 'Copies sent while a fault (or its settle margin) was active: expected when peers cannot talk; at-most-k judges them.', { headline: true }),
    duplicatesTotal: count('Duplicates in all', 'notifications', 'Every duplicate copy: while healthy plus during faults.'),
    maxCopies: count('Most copies of one healthy transition', 'notifications', 'The largest number of times one healthy transition was notified (1 = exactly once).'),
    maxCopiesDuringFaults: count('Most copies of one transition during faults', 'notifications', 'The largest number of times one transition was notified while a fault was active.'),
    ambiguousTransitions: count('Transitions that cannot be judged', 'transitions', 'Truncated alert lists or a possible silent notification-log reset: neither a duplicate nor exactly once can be told.'),
    transitionsNotWatchedToHorizon: count('Transitions not watched to their horizon', 'transitions', `The history ended before the last position could still have sent a copy (horizon = ${HORIZON}); the check is unknown while this is above 0.`, { bad: true }),
    latestHorizon: at('Latest horizon', `The last moment any healthy transition could still get a copy: ${HORIZON}.`),
    watchedUntil: at('Watched until', 'Where the check stopped looking: the start of teardown (or the last event of the history).'),
    groupsWithAmbiguousRoute: count('Groups with an ambiguous route', 'groups', 'Groups whose receiver sits on several matching routes: judged with the most conservative of their timers.'),
    settleMarginMs: ms('Settle margin after a fault', 'After a fault is removed the cluster counts as healthy again only after this: --cluster.reconnect-interval (10 s) + gossip margin (5 × gossip interval, at least 1 s).'),
    readyAt: at('Cluster ready at', 'When every node first reported ready with all its peers: healthy time starts here.'),
  },
  'no-loss': {
    fires: count('Fire events', 'events', 'Times the workload fired (or re-sent) an alert, to every node.'),
    resolves: count('Resolve events', 'events', 'Times the workload resolved an alert.'),
    episodes: count('Firing episodes', 'episodes', 'Alert by alert, each stretch from a fire to the resolve that ended it (flaps merged).'),
    firingObligations: count('Alerts owed a firing notification', 'alerts', 'Per receiver and alert: episodes that fired unmuted for a whole flush window, so some notification had to carry them firing.', { headline: true }),
    resolveObligations: count('Alerts owed a resolved notification', 'alerts', 'Per receiver and alert: resolutions of alerts that receiver had been told were firing, with send_resolved on.', { headline: true }),
    lostFiring: count('Alerts never notified firing', 'alerts', 'Per receiver and alert: owed a firing notification, and none came before the deadline (and the history went past it).', { headline: true, bad: true }),
    lostResolved: count('Alerts never notified resolved', 'alerts', 'Per receiver and alert: owed a resolved notification, and none came before the deadline.', { headline: true, bad: true }),
    lateFiring: count('Alerts notified firing late', 'alerts', 'Per receiver and alert: the firing notification came, but after the firing deadline (see the deadline figures).', { headline: true, bad: true }),
    lateResolved: count('Alerts notified resolved late', 'alerts', 'Per receiver and alert: the resolved notification came, but after the resolved deadline.', { bad: true }),
    pending: count('Alerts still due a notification', 'alerts', 'Per receiver and alert: owed, not yet delivered, and the history ended before the deadline — the check is unknown while this is above 0.', { bad: true }),
    uncertain: count('Alerts whose delivery cannot be judged', 'alerts', 'Missing, but a silence whose create was indeterminate (or an unknown send_resolved) could explain it.'),
    exemptShortLived: count('Exempt: resolved within a flush window', 'alerts', 'Episodes that never fired unmuted for a whole flush window: Alertmanager may rightly never notify them.'),
    exemptSilenced: count('Exempt: silenced', 'alerts', 'Episodes (or resolutions) a silence muted when Alertmanager would have flushed them.'),
    exemptFault: count('Exempt: during a fault', 'alerts', 'Episodes whose whole flush window fell inside a fault, a node outage or teardown.'),
    exemptInhibited: count('Exempt: inhibited', 'alerts', 'Episodes some node showed as inhibited (by an inhibit rule): no notification is owed.'),
    exemptNotSent: count('Exempt: sent to no node', 'alerts', 'Fire events the workload sent to no node (all targets down): nothing to deliver.'),
    mutedDeliveriesIgnored: count('Deliveries during a silence, not counted', 'notifications', 'Notifications of an alert sent while a silence certainly muted it: a violation for silence-propagation, never payment for a notification owed here.'),
    flapsMerged: count('Flaps merged', 'episodes', 'A resolve followed by a re-fire before Alertmanager certainly flushed the resolution: one episode, no new notification owed.'),
    orphanResolves: count('Resolves without a fire', 'events', 'Resolve events of alerts that were not firing: nothing to notify.'),
    resolutionsNotRequired: count('Resolutions not required', 'alerts', 'Resolutions to receivers with send_resolved off.'),
    resolvedBeforeResolve: count('Already resolved at the receiver', 'alerts', 'The receiver\'s last delivery before the workload resolved the alert was already a resolved one: nothing owed there (validity judges the early resolution).'),
    alertsWithUndecidableRoute: count('Alerts with an undecidable route', 'alerts', 'A route\'s matchers could not be compiled faithfully: which receivers the alert reaches is not certain.'),
    firingLatencyP50Ms: ms('Firing latency, median', 'From the fire event to the first delivered firing notification of the alert, per receiver and alert.'),
    firingLatencyP95Ms: ms('Firing latency, 95th percentile', 'From the fire event to the first delivered firing notification.'),
    firingLatencyMaxMs: ms('Firing latency, longest', 'From the fire event to the first delivered firing notification.'),
    fireDeadlineMs: ms('Firing deadline', 'How long after an alert became due its firing notification may take (slowest route): flush window + (N−1) × peer timeout + retry budget max(group_interval, 10 s); pushed back past faults.'),
    resolveDeadlineMs: ms('Resolved deadline', 'How long after a resolve the resolved notification may take (slowest route): group_interval + 1 s margin + (N−1) × peer timeout + retry budget max(group_interval, 10 s).'),
    flushWindowMs: ms('Flush window', 'An alert firing unmuted this long is in some flush (slowest route): max(group_wait, group_interval) + the delivery margin (500 ms in the suites).'),
  },
  validity: {
    statesChecked: count('Alert states checked', 'alert states', 'Per receiver: every alert in every delivered notification, each compared with what the workload did.', { headline: true }),
    alerts: count('Alerts notified', 'alerts', 'Distinct (receiver, alert) pairs that appeared in delivered notifications.'),
    phantoms: count('Phantom alerts', 'alert states', 'A notification carried an alert the workload had never fired.', { headline: true, bad: true }),
    staleFiring: count('Stale firing', 'alert states', 'Firing delivered after its resolution was already delivered there, with no re-fire in between (upstream #3551).', { headline: true, bad: true }),
    staleResolved: count('Stale resolved', 'alert states', 'An old resolution delivered after the next episode\'s firing had been delivered.', { headline: true, bad: true }),
    resolvedWhileFiring: count('Resolved while still firing', 'alert states', 'Delivered resolved although the workload kept the alert firing (and re-sent it to the sender in time).', { headline: true, bad: true }),
    duplicateAlerts: count('Same alert under two replica labels', 'alert states', 'One alert reached the receiver as two alerts that differ only in the alert source\'s replica label (a Prometheus pair without matching external_labels / alert_relabel_configs).', { headline: true, bad: true }),
    expiredResolved: count('Resolved by expiry', 'alert states', 'Resolved while the workload kept it firing, but no re-send had reached the sender since its endsAt: Alertmanager rightly resolved it.'),
    unwatched: count('Alerts not watched to their horizon', 'alerts', `The history ended before a stale copy of the alert's last state could still arrive (horizon = ${HORIZON}); unknown while above 0.`, { bad: true }),
    orderToleranceMs: ms('Order tolerance', 'Two notifications arriving within this of each other raced; their order says nothing about which state is newer.'),
    latestHorizon: at('Latest horizon', `The last moment a stale copy of any alert's last state could still arrive: ${HORIZON}.`),
    watchedUntil: at('Watched until', 'Where the check stopped looking: the start of teardown (or the last event).'),
  },
  'silence-propagation': {
    silences: count('Silences created', 'silences', 'Silences whose create returned an ID.'),
    indeterminateCreates: count('Silence creates with no answer', 'silences', 'Creates that timed out or failed to answer: whether the silence exists is unknown.'),
    pairs: count('Silence × node pairs', 'pairs', 'Each silence on each node other than the one it was made on: each must list it in time.'),
    delaysMs: { label: 'Propagation delays', kind: 'list', unit: 'ms', help: 'Per pair: from the create\'s answer to the first sample in which the other node listed it (an upper bound: samples are 200 ms apart).' },
    delayP50Ms: ms('Propagation delay, median', 'From the create\'s answer to the other node listing the silence.'),
    delayP95Ms: ms('Propagation delay, 95th percentile', 'From the create\'s answer to the other node listing the silence.'),
    delayMaxMs: ms('Propagation delay, longest', 'From the create\'s answer to the other node listing the silence.', { headline: true }),
    late: count('Listed late', 'pairs', 'A node listed the silence, but a sample after the deadline (propagation allowance, extended past separating faults) still lacked it.', { headline: true, bad: true }),
    neverListed: count('Never listed', 'pairs', 'A node never listed the silence, with samples after its deadline.', { headline: true, bad: true }),
    pending: count('Not yet listed', 'pairs', 'Not listed by the last usable sample, whose deadline lies beyond the history: unknown.', { bad: true }),
    unsampled: count('Pairs without samples', 'pairs', 'The node answered no silences sample after the create: unknown.'),
    violations: count('Notifications a silence should have muted', 'notifications', 'Sent by a node that already listed a silence matching the alert (flush after it listed it).', { headline: true, bad: true }),
    unattributedNotifications: count('Silenced notifications with no known sender', 'notifications', 'A notification of a silenced alert whose sender cannot be named: a violation cannot be ruled out.'),
    propagationMs: ms('Propagation allowance', 'How long a silence may take to reach every node (--silence-propagation); faults that separate two nodes extend it.'),
    marginMs: ms('Margin', 'Slack added to the allowance for sampling and scheduling.'),
  },
  'at-most-k': {
    partitions: count('Partitions', 'partitions', 'Faults that split the cluster into components.'),
    k: { label: 'Components per partition (k)', kind: 'list', unit: 'components', help: 'Into how many components each partition split the cluster (one entry per partition): each component may notify once.' },
    transitionsDuringPartitions: count('Transitions during partitions', 'transitions', 'Group transitions notified while a partition was active.', { headline: true }),
    notificationsDuringPartitions: count('Notifications during partitions', 'notifications', 'Delivered notifications while a partition was active.'),
    duplicatesDuringPartitions: count('Copies during partitions', 'notifications', 'Notifications beyond the first of a transition while partitioned: up to one per other component is expected.', { headline: true }),
    maxCopies: count('Most copies of one transition', 'notifications', 'The largest number of times one transition was notified during a partition.'),
    withinSideDuplicates: count('Duplicates within one side', 'notifications', 'A component notified a transition it had already notified: dedup failed inside a side.', { headline: true, bad: true }),
    violations: count('Transitions notified more than k times', 'transitions', 'More copies than components: at most k failed.', { headline: true, bad: true }),
    unattributedCopies: count('Copies with no known sender', 'notifications', 'Copies whose sender is in no component: they cannot be counted for a side.'),
  },
  convergence: {
    healAt: at('Heal', 'When the last fault was removed (or the last node came back); convergence is measured from here.'),
    healSource: text('Heal was', 'Which event the heal time is.'),
    windowMs: ms('Window', 'How long after the heal every node must agree: push-pull interval + reconnect interval (10 s) (+ settle timeout after a restart).'),
    expectedPeers: count('Expected members', 'nodes', 'Nodes that should list each other after the heal (those still running).'),
    comparedBy: text('Compared by', 'Members are compared by name when every peer name is known, else by count.'),
    convergedAt: at('Converged', 'The first sample at which every member listed all the others and the same silences.'),
    timeToConvergeMs: ms('Time to converge', 'From the heal to the moment every member agreed.', { headline: true }),
  },
  /** Figures of a scenario as a whole: the runner's and the suites' (ctx.figures). */
  scenario: {
    notifications: count('Notifications received', 'notifications', 'Every notification the capture received during the scenario, delivered or not.'),
    nodes: count('Nodes', 'nodes', 'Nodes in the cluster.'),
    startToReadyMs: ms('Start to ready', 'From starting the nodes to every node reporting ready with all peers.'),
    readyWaitMs: ms('Waiting for ready', 'Of that, the time spent polling /api/v2/status until every node was ready.'),
    quiesceMs: ms('Watching after the suite', 'After the suite finished: how long the runner kept watching until every horizon and deadline had passed, so the checks can decide.'),
    linkTraffic: json('Traffic per link', 'bytes and packets per directed link', 'What crossed each link proxy (TCP and UDP): faults are verified against it.'),
    // with --source prometheus
    sourceReadyMs: ms('Prometheus pair ready', 'From starting the Prometheus replicas to each one sending to every Alertmanager node.'),
    sourcePosts: json('Posts per replica and node', 'posts per replica → node', 'What each Prometheus replica posted to each Alertmanager node through its tap: posts, answered 2xx, failed, unanswered.'),
    // prometheus-ha
    evaluationOffsetMs: ms('Evaluation offset', 'How far the lagging replica evaluates in the past in the evaluation-offset phase.'),
    phases: json('Phases', 'phases', 'Each phase (healthy, each replica down, each mistake) with its duplicates, flaps and notifications.'),
    // receiver-outage
    duplicatesBaseline: count('Duplicates before the fault', 'notifications', 'Copies counted by the dedup rule in the healthy stretch before the fault (should be 0).', { bad: true }),
    outageMs: ms('Receiver outage', 'From the receiver failing (5xx, then down) to it answering again.'),
    retryingSenders: { label: 'Nodes that retried', kind: 'list', unit: 'nodes', help: 'Nodes whose sends failed during the outage: each retries, because the notification log is written only after success.' },
    undeliveredAttempts: count('Failed attempts', 'notifications', 'Notifications the receiver refused or missed during the outage.'),
    duplicatesAfterRecovery: count('Duplicates after recovery', 'notifications', 'Copies that arrived once the receiver recovered (every position retried: upstream #4108/#3865).'),
    transitionsAfterRecovery: count('Transitions after recovery', 'transitions', 'Group transitions notified once the receiver recovered.'),
    maxCopiesAfterRecovery: count('Most copies of one transition after recovery', 'notifications', 'The largest number of copies of one transition after recovery.'),
    deliveredBySenderAfterRecovery: json('Delivered per node after recovery', 'notifications per node', 'Which nodes delivered after recovery, and how many notifications each.'),
    // latency-sweep
    peerTimeoutMs: ms('Peer timeout', 'The --cluster.peer-timeout the sweep compares latencies with.'),
    latencyThresholdMs: ms('Latency at which duplicates start', 'The smallest probed one-way latency (on every gossip link) with duplicates; empty when none up to the largest probe.', { headline: true }),
    latencyThresholdBracketMs: { label: 'Threshold bracket', kind: 'list', unit: 'ms', help: 'The bisection\'s last interval: no duplicates at the lower end, duplicates at the upper.' },
    latencyThresholdRatio: { label: 'Threshold ÷ peer timeout', kind: 'ratio', unit: '× the peer timeout', help: 'The threshold latency as a multiple of the peer timeout.' },
    latencySweep: json('Probes', 'probes', 'Every probe in the order the bisection ran: latency, duplicates, transitions, fewest peers seen.'),
    latencySweepMs: { label: 'Probed latencies', kind: 'list', unit: 'ms', help: 'The latencies probed, in order.' },
    probesWithPeersDeclaredDead: { label: 'Probes where peers were declared dead', kind: 'list', unit: 'ms', help: 'Latencies at which some node dropped a peer: duplicates there come from the membership, not only from the gossip delay.' },
    // udp-cut
    transitionsBaseline: count('Transitions before the fault', 'transitions', 'Group transitions notified in the healthy stretch before the fault.'),
    udpCutRounds: json('Rounds during the UDP cut', 'rounds', 'Each round of alerts fired during the cut, with its duplicates and group transitions.'),
    udpCutMs: ms('UDP cut', 'How long UDP between all peers was cut (TCP open).'),
    statusDuringUdpCut: json('Status during the cut', 'samples per status', 'What /api/v2/status said during the cut.'),
    readyWithAllPeersDuringUdpCut: { label: 'Ready with all peers during the cut', kind: 'bool', unit: '', help: 'Every status sample during the cut said ready with every peer: the cut is invisible to the status API (upstream #1564/#1550).' },
    duplicatesDuringUdpCut: count('Duplicates during the cut', 'notifications', 'Copies counted by the dedup rule while UDP was cut.', { headline: true }),
    transitionsDuringUdpCut: count('Transitions during the cut', 'transitions', 'Group transitions notified while UDP was cut.'),
    maxCopiesDuringUdpCut: count('Most copies of one transition during the cut', 'notifications', 'The largest number of copies of one transition while UDP was cut.'),
    duplicatesBySenderDuringUdpCut: json('Duplicates per node during the cut', 'notifications per node', 'Which nodes sent the copies.'),
    // split-brain
    deathDetectionBoundMs: ms('Death detection bound', 'How long memberlist may take to declare the isolated node dead, derived from its defaults for N nodes.'),
    isolatedDeclaredDeadAfterMs: ms('Isolated node declared dead after', 'From the cut to both sides listing only themselves.', { headline: true }),
    silencesCrossedPartition: { label: 'Silences that crossed the partition', kind: 'list', unit: 'silences', help: 'Silences made on one side that the other side listed during the partition (should be none).' },
    duplicatesDuringPartition: count('Duplicates during the partition', 'notifications', 'Copies counted by the dedup rule while the cluster was split: one per side is expected.', { headline: true }),
    transitionsDuringPartition: count('Transitions during the partition', 'transitions', 'Group transitions notified while the cluster was split.'),
    maxCopiesDuringPartition: count('Most copies of one transition during the partition', 'notifications', 'At most one per side is expected.'),
    deliveredBySenderDuringPartition: json('Delivered per node during the partition', 'notifications per node', 'Which nodes delivered while the cluster was split, and how many each.'),
    convergedAfterHealMs: ms('Converged after heal', 'From the heal to every node listing every peer and both sides\' silences.'),
    duplicatesAfterHeal: count('Duplicates after heal', 'notifications', 'Copies after the cluster healed (should be 0).', { bad: true }),
    transitionsAfterHeal: count('Transitions after heal', 'transitions', 'Group transitions notified after the cluster healed.'),
    // restart
    pausedDeclaredDead: { label: 'Paused node declared dead', kind: 'bool', unit: '', help: 'The others dropped the paused node from their peers before it resumed.' },
    alertValidityMs: ms('Alert validity', 'How long an alert stays valid without a re-send: 4 × the resend interval (the endsAt the source sends).'),
    pauseMs: ms('Pause', 'How long the paused node was stopped (SIGSTOP to SIGCONT).'),
    suspicionTimeoutMs: ms('Suspicion timeout', 'How long memberlist suspects a silent node before declaring it dead, for N nodes.'),
    restartPhases: json('Phases', 'phases', 'Each kill/restart/pause phase with its re-notifications.'),
    renotifications: count('Re-notifications', 'notifications', 'Notifications sent again for transitions already notified, over every phase.', { headline: true }),
    // slow-receiver
    slowDelayMs: ms('Slow answer', 'How long the receiver held each answer in the slow phase (1.5 × the peer timeout).'),
    slowerDelayMs: ms('Slower answer', 'How long the receiver held each answer in the slower phase (group_interval + the peer timeout).'),
    duplicatesFast: count('Duplicates, fast receiver', 'notifications', 'Copies counted by the dedup rule with the receiver answering at once (the control: 0).', { bad: true }),
    duplicatesSlow: count('Duplicates, slow receiver', 'notifications', 'Copies while the receiver answered after 1.5 × the peer timeout (upstream #3999, #3678).', { headline: true }),
    duplicatesSlower: count('Duplicates, slower receiver', 'notifications', 'Copies while the receiver answered after group_interval + the peer timeout.'),
    maxCopiesSlow: count('Most copies, slow receiver', 'notifications', 'The largest number of copies of one transition in the slow phase.'),
    maxCopiesSlower: count('Most copies, slower receiver', 'notifications', 'The largest number of copies of one transition in the slower phase.'),
    cancelledSends: count('Cancelled sends', 'notifications', 'Sends whose sender hung up before the held answer came (the pipeline timeout ran out).'),
    // repeat-interval
    shortRepeatMs: ms('Short repeat_interval', 'repeat_interval of the route under test: half a peer timeout below (N−1) × the peer timeout.'),
    longRepeatMs: ms('Long repeat_interval', 'repeat_interval of the control route: half a peer timeout above (N−1) × the peer timeout.'),
    deliveredBySenderShort: json('Delivered per node, short repeat_interval', 'notifications per node', 'Which nodes notified the short-repeat route: later positions repeat too (upstream #1005).'),
    deliveredBySenderLong: json('Delivered per node, long repeat_interval', 'notifications per node', 'Which nodes notified the control route.'),
    // flapping
    flapGroupWaitMs: ms('group_wait of the flapping route', 'Upstream PR #3283\'s 30 s, scaled by the peer timeout ÷ 60 s.'),
    flapGroupIntervalMs: ms('group_interval of the flapping route', 'Upstream PR #3283\'s 70 s, scaled by the peer timeout ÷ 60 s.'),
    resolveAfterMs: ms('Resolved after', 'From firing to resolving the alerts: upstream\'s 50 s, scaled.'),
    notificationsFlap: count('Notifications, flapping route', 'notifications', 'Every notification of the flapping route (upstream counted 4 for one alert).'),
    notificationsSteady: count('Notifications, control route', 'notifications', 'Every notification of the route with a safe group_interval.'),
    // resolved-dropped
    groupIntervalMs: ms('group_interval of the routes', 'Long enough that an entry logged at a tick has expired by the next.'),
    repeatIntervalMs: ms('repeat_interval of the route under test', 'Its entry expires after 2 × this, before the next flush.'),
    maintenanceIntervalMs: ms('Maintenance interval', '--data.maintenance-interval of the nodes: how often expired nflog entries are collected.'),
    // group-key-collision
    notificationsCollision: count('Firing notifications, identical routes', 'notifications', 'For the alerts two routes with one group key match (one per route expected by the config).'),
    notificationsDistinct: count('Firing notifications, distinct routes', 'notifications', 'For the control, whose second route has another key.'),
    // retention
    retentionMs: ms('Short retention', '--data.retention the nodes were restarted with.'),
    renotificationsKept: count('Re-notifications, default retention', 'notifications', 'Copies of unchanged groups with the default retention (the control: 0).', { bad: true }),
    renotificationsExpiring: count('Re-notifications, short retention', 'notifications', 'Copies of unchanged groups once their entry expired (upstream #3473).', { headline: true }),
    // cluster-label
    statusDuringMismatch: json('Status during the label mismatch', 'samples per node', 'What each node\'s /api/v2/status said while one member had another --cluster.label.'),
    mergedAfterMs: ms('Merged after', 'From restarting the odd member without its label to every node listing every peer again.'),
    duplicatesSame: count('Duplicates, same labels', 'notifications', 'Copies before the mismatch (the control: 0).', { bad: true }),
    duplicatesMismatch: count('Duplicates, labels differ', 'notifications', 'Copies while one member had another label: both sides notify.', { headline: true }),
    duplicatesMerged: count('Duplicates, merged again', 'notifications', 'Copies after the member rejoined (0 expected).', { bad: true }),
    // clock-skew
    skewMs: ms('Clock skew', 'How far the skewed member\'s wall clock runs ahead (negative: behind).'),
    skewedNode: text('Skewed node', 'The member (tsam) whose clock was offset.'),
    // silence-restart
    listedAfterRestart: json('Silence listed after each restart', 'nodes per round', 'For each whole-cluster restart, which nodes still listed the silence made before it.'),
    // silence-formats
    silencesMade: count('Silences made', 'silences', 'Silences with equality, regex, negative and several matchers, made on the members of the mixed cluster.'),
    listingsAfterWipe: count('Listings after the wiped restart', 'nodes', 'Nodes that listed the silences again once the wiped member had re-learnt them by full-state sync.'),
    // rolling-upgrade
    from: text('Upgraded from', 'The version of every node before the first step.'),
    to: text('Upgraded to', 'The version each step starts a node as (--upgrade-to).'),
    duplicatesPerStep: json('Duplicates per step', 'steps', 'After each node was upgraded: its copies and transitions.'),
    duplicatesBefore: count('Duplicates before the upgrade', 'notifications', 'Copies while every node ran the old version (the control: 0).', { bad: true }),
    duplicatesAfter: count('Duplicates after the upgrade', 'notifications', 'Copies once every node ran the new version (the control: 0).', { bad: true }),
    // gossip-load
    steps: json('Load steps', 'steps', 'Each step: alerts fired, alerts firing in all, groups, duplicates, alerts never notified, and every node\'s queue metrics.'),
    largestExactlyOnceLoad: count('Largest exactly-once load', 'alerts', 'The most alerts firing at once while every step so far was notified exactly once, nothing lost.', { headline: true }),
    droppingLogLines: count('"dropping messages" log lines', 'lines', 'Logged when memberlist prunes its queue above 4096 messages — only on a 15-minute tick, so 0 in a short run.'),
    posts: count('Alert posts', 'requests', 'POST /api/v2/alerts requests of the bulk source (batches of 1,000).'),
    failedPosts: count('Failed alert posts', 'requests', 'Of those, refused or timed out.', { bad: true }),
    // silences
    expiriesRefusedByOtherNode: count('Expiries refused by another node', 'silences', 'Expiring a silence on a node other than its creator was refused (should be 0).', { bad: true }),
    silencedAlerts: count('Silenced alerts', 'alerts', 'Alerts a silence matched.'),
    silencedAlertsNotifiedAfterExpiry: count('Silenced alerts notified after expiry', 'alerts', 'Of those, notified firing once the silence expired (all should be).'),
  },
  /** The scenario's timers (summary.json `timers`). */
  timers: {
    peerTimeoutMs: ms('Peer timeout', '--cluster.peer-timeout: the position-k node waits k × this before sending (dedup relies on it).'),
    gossipIntervalMs: ms('Gossip interval', '--cluster.gossip-interval: how often nodes gossip state changes.'),
    pushPullIntervalMs: ms('Push-pull interval', '--cluster.pushpull-interval: full state sync between peers; repairs what gossip lost.'),
    settleTimeoutMs: ms('Settle timeout', '--cluster.settle-timeout: how long a node waits for gossip to settle at start.'),
    groupWaitMs: ms('group_wait', 'The root route\'s wait before the first notification of a new group.'),
    groupIntervalMs: ms('group_interval', 'The root route\'s wait between notifications of a changed group (default N × peer timeout).'),
    repeatIntervalMs: ms('repeat_interval', 'The root route\'s wait before re-sending an unchanged group.'),
    resendIntervalMs: ms('Resend interval', 'How often the alert source re-sends firing alerts, as Prometheus does.'),
    silencePropagationMs: ms('Silence propagation allowance', 'How long a silence may take to reach every node.'),
  },
};

/** Keys with a node or link after the colon: `duplicatesBySender:n2`. */
const PER_NODE: Readonly<Record<string, Readonly<Record<string, (who: string) => FigureInfo>>>> = {
  'exactly-once': {
    duplicatesBySender: (who) => count(`Duplicates while healthy sent by ${who}`, 'notifications', `Copies of healthy transitions that ${who} sent (the first delivery is not counted).`, { bad: true }),
  },
  convergence: {
    peersConvergedMs: (who) => ({ label: `${who} listed every peer after`, kind: 'ms', unit: 'ms', help: `From the heal to ${who}'s first sample listing every expected member.` }),
    silencesConvergedMs: (who) => ({ label: `${who} had the agreed silences after`, kind: 'ms', unit: 'ms', help: `From the heal to ${who}'s first sample listing the silences every member agreed on.` }),
  },
};

/** The description of a figure key written by `source` (a check's name, 'scenario' or 'timers'). */
export function describeFigure(source: string, key: string): FigureInfo | undefined {
  const exact = FIGURES[source]?.[key] ?? COMMON[key];
  if (exact) return exact;
  const colon = key.indexOf(':');
  if (colon > 0) return PER_NODE[source]?.[key.slice(0, colon)]?.(key.slice(colon + 1));
  return undefined;
}

/** Every key pattern the table describes, for tests: "exactly-once duplicatesBySender:*". */
export function describedKeys(source: string): { exact: string[]; prefixes: string[] } {
  return { exact: [...Object.keys(FIGURES[source] ?? {}), ...Object.keys(COMMON)], prefixes: Object.keys(PER_NODE[source] ?? {}) };
}

/** A figure's value for a person: the number with its unit, a time as t= seconds since the scenario start. */
export function formatFigureValue(info: FigureInfo | undefined, value: unknown, t0: number): string {
  if (value === null || value === undefined) return '—';
  if (info?.kind === 'at' && typeof value === 'number') return `t=${((value - t0) / 1000).toFixed(3).replace(/\.?0+$/, '')} s`;
  if (info?.kind === 'bool' && typeof value === 'boolean') return value ? 'yes' : 'no';
  if (info?.kind === 'ratio' && typeof value === 'number') return `${round(value)} ×`;
  // The exact milliseconds the check used, and the same for a person when it is long.
  if (info?.kind === 'ms' && typeof value === 'number') return Math.abs(value) >= 1000 ? `${round(value)} ms (${human(value)})` : `${round(value)} ms`;
  const plain = plainValue(value);
  if (info === undefined || info.kind === 'text' || info.kind === 'json' || info.unit === '') return plain;
  if (info.kind === 'list') return Array.isArray(value) && value.length === 0 ? 'none' : `${plain} ${info.unit}`;
  // "1 alert", "1 alert state", "1 group": counts are named in the plural.
  if (info.kind === 'count' && value === 1) return `1 ${info.unit.replace(/s$/, '')}`;
  return `${plain} ${info.unit}`;
}

function plainValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return round(v);
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object' || x === null) ? v.map(plainValue).join(', ') : JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** 4500 → "4.5 s", 3600000 → "1 h", 90000 → "1 min 30 s". */
function human(msValue: number): string {
  const s = msValue / 1000;
  if (Math.abs(s) < 120) return `${round(Math.round(s * 1000) / 1000)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s - h * 3600) / 60);
  const rest = Math.round(s - h * 3600 - m * 60);
  return [h ? `${h} h` : '', m ? `${m} min` : '', rest ? `${rest} s` : ''].filter(Boolean).join(' ');
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/\.?0+$/, '');
}
