/*
 * amchaos report, browser side. Draws the charts with uPlot from the JSON block #amchaos-data and
 * wires the buttons. Inlined into every report; no network, no eval, and user data reaches the DOM
 * only through textContent (the server-rendered HTML is already escaped).
 */
(function () {
  'use strict';
  const started = performance.now();
  const DATA = JSON.parse(document.getElementById('amchaos-data').textContent);
  /* global uPlot */
  const charts = new Map(); // anchor -> { tl, peers, tlData }
  const all = []; // every uPlot instance, for resizing
  const FLAG = { duplicate: 1, evidence: 2, undelivered: 4, resolved: 8 };
  // Same y-axis width on the timeline and the peers chart, so their x axes line up.
  const Y_AXIS = 104;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') el.className = v;
      else el.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }

  let tipEl = null;
  /** One tooltip element for the whole page. */
  function tooltip() {
    if (!tipEl) {
      tipEl = h('div', { class: 'tip', role: 'tooltip' });
      tipEl.hidden = true;
      document.body.append(tipEl);
    }
    return tipEl;
  }

  function fmtT(t) {
    return 't=' + (Math.round(t * 1000) / 1000).toFixed(3) + ' s';
  }

  function fmtWall(ms) {
    return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : '';
  }

  function color(i) {
    return i < 0 ? DATA.unknownSender : DATA.palette[i % DATA.palette.length];
  }

  function widthOf(el) {
    return Math.max(320, Math.floor(el.getBoundingClientRect().width || el.parentElement.getBoundingClientRect().width || 900));
  }

  // ---------------------------------------------------------------------------------------------
  // Timeline: lanes (receiver on top, then n1, n2, ...), one mark per notification.

  // Three families, matching the legend: network splits, process faults, everything else (links, receiver).
  function faultFill(kind) {
    if (/partition|isolate|split|cut|drop/i.test(kind)) return 'rgba(230,120,0,0.16)';
    if (/kill|pause|stop|restart|crash/i.test(kind)) return 'rgba(90,90,90,0.16)';
    return 'rgba(60,120,200,0.16)';
  }

  function drawTimeline(tl) {
    const el = document.getElementById(tl.anchor + '-tl');
    const peersEl = document.getElementById(tl.anchor + '-peers');
    const detail = document.getElementById(tl.anchor + '-detail');
    if (!el) return;
    const L = tl.nodes.length;
    const RECV = L;
    const laneOf = (i) => L - 1 - i;
    // In the receiver lane each sender gets its own row, so simultaneous duplicates stack visibly.
    const recvY = (s) => RECV + (0.5 - ((s < 0 ? L : s) + 0.5) / (L + 1)) * 0.7;
    const laneName = (lane) => (lane === RECV ? 'receiver' : tl.nodes[L - 1 - lane] ?? '');
    // Axis labels carry counts, so an empty lane reads as "sent nothing", not as missing data.
    const count = (n) => (n >= 10000 ? (n / 1000).toFixed(n >= 100000 ? 0 : 1) + 'k' : String(n));
    const laneLabel = (lane) => (lane === RECV ? 'receiver (' + count(tl.total) + ')' : laneName(lane) + ' (' + count(tl.sentBy[L - 1 - lane] ?? 0) + ')');
    const N = tl.n.t.length;
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => tl.n.t[a] - tl.n.t[b] || tl.n.seq[a] - tl.n.seq[b]);
    const sortedT = order.map((i) => tl.n.t[i]);
    const xMin = Math.min(0, sortedT[0] ?? 0);
    const xMax = Math.max(tl.end || 0, sortedT[N - 1] ?? 0, xMin + 1);
    // Aligned data: x = [xMin, notifications..., xMax]; the end points pin the zoom-out range.
    const xs = [xMin].concat(sortedT, [xMax]);
    const empty = () => new Array(xs.length).fill(null);
    const senders = [...new Set(tl.n.s)].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));
    const recv = new Map(senders.map((s) => [s, empty()]));
    const sent = new Map(senders.filter((s) => s >= 0).map((s) => [s, empty()]));
    const dupR = empty(), dupN = empty(), evR = empty(), evN = empty(), undR = empty(), focusR = empty(), focusN = empty();
    order.forEach((i, k) => {
      const j = k + 1;
      const s = tl.n.s[i];
      const f = tl.n.f[i];
      recv.get(s)[j] = recvY(s);
      if (s >= 0) sent.get(s)[j] = laneOf(s);
      if (f & FLAG.duplicate) {
        dupR[j] = recvY(s);
        if (s >= 0) dupN[j] = laneOf(s);
      } else if (f & FLAG.evidence) {
        evR[j] = recvY(s);
        if (s >= 0) evN[j] = laneOf(s);
      }
      if (f & FLAG.undelivered) undR[j] = recvY(s);
    });
    const size = N > 3000 ? 5 : 7;
    const markSeries = (label, c, sz) => ({ label, stroke: c, fill: c, paths: () => null, points: { show: true, size: sz, width: 1, stroke: c, fill: c } });
    const ringSeries = (label, c, sz, w) => ({ label, stroke: c, paths: () => null, points: { show: true, size: sz, width: w, stroke: c, fill: 'rgba(0,0,0,0)' } });
    const series = [{}];
    const data = [xs];
    for (const s of senders) {
      series.push(markSeries('receiver ← ' + (s < 0 ? 'unknown' : tl.nodes[s]), color(s), size));
      data.push(recv.get(s));
    }
    for (const [s, arr] of sent) {
      series.push(markSeries(tl.nodes[s] + ' sent', color(s), size));
      data.push(arr);
    }
    series.push(ringSeries('duplicate', '#D7191C', size + 8, 2.5), ringSeries('duplicate', '#D7191C', size + 8, 2.5));
    data.push(dupR, dupN);
    series.push(ringSeries('evidence', '#7B3294', size + 6, 2), ringSeries('evidence', '#7B3294', size + 6, 2));
    data.push(evR, evN);
    series.push(ringSeries('not delivered', '#000', size + 5, 1.5));
    data.push(undR);
    const focusIdx = series.length;
    series.push(ringSeries('selected', '#111', size + 14, 2), ringSeries('selected', '#111', size + 14, 2));
    data.push(focusR, focusN);

    const lanes = Array.from({ length: L + 1 }, (_, i) => i);
    const pxr = () => uPlot.pxRatio || 1;

    function bandRect(u, f, lane) {
      const x0 = u.valToPos(f.from, 'x', true);
      const x1 = u.valToPos(f.to, 'x', true);
      if (lane === undefined) return [x0, u.bbox.top, Math.max(x1 - x0, 2 * pxr()), u.bbox.height];
      const y0 = u.valToPos(lane + 0.5, 'y', true);
      const y1 = u.valToPos(lane - 0.5, 'y', true);
      return [x0, y0, Math.max(x1 - x0, 2 * pxr()), y1 - y0];
    }
    function faultLanes(f) {
      // Partitions cut the whole cluster; node faults (kill, pause, latency on a node) shade that node's lane.
      if (/receiver/i.test(f.kind)) return [RECV];
      if ((f.components && f.components.length) || !f.nodes || !f.nodes.length) return [undefined];
      return f.nodes.map((n) => tl.nodes.indexOf(n)).filter((i) => i >= 0).map(laneOf);
    }
    function clip(u, fn) {
      const ctx = u.ctx;
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      fn(ctx);
      ctx.restore();
    }
    const drawBands = (u) =>
      clip(u, (ctx) => {
        for (const f of tl.faults) {
          if (f.failed) continue;
          ctx.fillStyle = faultFill(f.kind);
          for (const lane of faultLanes(f)) ctx.fillRect(...bandRect(u, f, lane));
        }
        // Lane separators make the lanes readable when marks are dense.
        ctx.strokeStyle = 'rgba(0,0,0,0.08)';
        ctx.lineWidth = 1;
        for (let lane = 0; lane < L; lane++) {
          const y = Math.round(u.valToPos(lane + 0.5, 'y', true)) + 0.5;
          ctx.beginPath();
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
        }
      });
    const GLYPH = { killed: ['✕', '#C0392B'], exited: ['✕', '#C0392B'], paused: ['‖', '#D35400'], resumed: ['▶', '#2E7D32'], starting: ['○', '#666'], ready: ['●', '#2E7D32'], stopped: ['■', '#888'] };
    const drawAnnotations = (u) =>
      clip(u, (ctx) => {
        ctx.textBaseline = 'top';
        ctx.textAlign = 'left';
        ctx.font = 11 * pxr() + 'px system-ui, sans-serif';
        for (const f of tl.faults) {
          if (f.failed) continue;
          const [x, y, w] = bandRect(u, f, faultLanes(f)[0]);
          if (w < 40 * pxr()) continue;
          const label = '#' + f.fault + ' ' + f.description + (f.open ? ' (never removed)' : '');
          ctx.save();
          ctx.beginPath();
          ctx.rect(x, y, w, 16 * pxr());
          ctx.clip();
          // A light plate under the label keeps it legible over dense marks.
          ctx.fillStyle = 'rgba(255,255,255,0.85)';
          ctx.fillRect(x + 2 * pxr(), y + 1 * pxr(), ctx.measureText(label).width + 4 * pxr(), 14 * pxr());
          ctx.fillStyle = '#7a3d00';
          ctx.fillText(label, x + 4 * pxr(), y + 2 * pxr());
          ctx.restore();
        }
        ctx.textBaseline = 'middle';
        ctx.textAlign = 'center';
        ctx.font = 'bold ' + 13 * pxr() + 'px system-ui, sans-serif';
        for (const ev of tl.nodeEvents) {
          const g = GLYPH[ev.state];
          if (!g || ev.node < 0) continue;
          ctx.fillStyle = g[1];
          ctx.fillText(g[0], u.valToPos(ev.t, 'x', true), u.valToPos(laneOf(ev.node), 'y', true));
        }
      });

    let syncing = false;
    const syncX = (other) => (u, key) => {
      const o = other();
      if (key === 'x' && u.root.parentElement === el) {
        el.dataset.xmin = String(u.scales.x.min);
        el.dataset.xmax = String(u.scales.x.max);
      }
      if (key !== 'x' || syncing || !o) return;
      syncing = true;
      o.setScale('x', { min: u.scales.x.min, max: u.scales.x.max });
      syncing = false;
    };
    let peersChart = null;
    let tlChart = null;
    const xAxis = { label: 'seconds since scenario start', labelSize: 18, size: 36, values: (u, splits) => splits.map((v) => String(Math.round(v * 1000) / 1000)) };
    const opts = {
      width: widthOf(el),
      height: 56 + (L + 1) * 40,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, y: false, points: { show: false }, sync: { key: tl.anchor } },
      scales: { x: { time: false, range: (u, min, max) => [min, max] }, y: { range: [-0.6, L + 0.6] } },
      axes: [
        xAxis,
        { splits: () => lanes, values: (u, splits) => splits.map(laneLabel), size: Y_AXIS, gap: 6, ticks: { show: false }, grid: { show: false } },
      ],
      series,
      hooks: { drawClear: [drawBands], draw: [drawAnnotations], setScale: [syncX(() => peersChart)] },
    };
    tlChart = new uPlot(opts, data, el);
    all.push([tlChart, el]);
    // What was drawn, for people inspecting the page and for the browser test.
    el.dataset.lanes = lanes
      .slice()
      .reverse()
      .map(laneName)
      .join(',');
    el.dataset.marks = String(N);
    el.dataset.duplicates = String(tl.n.f.filter((f) => f & FLAG.duplicate).length);
    el.dataset.xmin = String(tlChart.scales.x.min);
    el.dataset.xmax = String(tlChart.scales.x.max);

    // Peers chart under the timeline, same x range, zoom linked.
    if (peersEl && tl.clusterDisabled) {
      peersEl.replaceChildren(h('p', { class: 'dim' }, 'Cluster peers: none to show — every node reported its cluster as disabled (--no-cluster), so each node notifies on its own.'));
    } else if (peersEl && tl.peers.t.length === 0) {
      peersEl.replaceChildren(h('p', { class: 'dim' }, 'Cluster peers: no status samples in the history.'));
    } else if (peersEl) {
      const px = [xMin].concat(tl.peers.t, [xMax]);
      const pdata = [px];
      const pseries = [{ label: 'at', value: (u, v, si, di) => (v == null || di == null ? '—' : fmtT(v)) }];
      tl.nodes.forEach((n, i) => {
        const raw = [null].concat(tl.peers.v[i] || []);
        raw.push(raw.length > 1 ? raw[raw.length - 1] : null);
        // Nodes that agree would draw on top of each other: dodge each line a little.
        const dodge = (i - (L - 1) / 2) * Math.min(0.08, 0.4 / L);
        pdata.push(raw.map((v) => (v == null ? null : v + dodge)));
        pseries.push({
          label: n,
          stroke: color(i),
          width: 2,
          paths: uPlot.paths.stepped({ align: 1 }),
          points: { show: false },
          value: (u, v, si, di) => (di == null ? '—' : raw[di] == null ? 'unreachable / no sample' : raw[di] + ' peers'),
        });
      });
      const maxPeers = Math.max(L, ...tl.peers.v.flat().filter((x) => x != null));
      peersChart = new uPlot(
        {
          width: widthOf(peersEl),
          height: 150,
          legend: { show: true, live: true },
          cursor: { drag: { x: true, y: false, setScale: true }, y: false, sync: { key: tl.anchor } },
          scales: { x: { time: false, range: (u, min, max) => [min, max] }, y: { range: [0, maxPeers + 0.5] } },
          axes: [
            Object.assign({}, xAxis, { label: 'cluster peers each node sees (incl. itself), from status samples' }),
            { size: Y_AXIS - 16, label: 'peers', labelSize: 16, splits: () => Array.from({ length: maxPeers + 1 }, (_, i) => i), values: (u, s) => s.map(String) },
          ],
          series: pseries,
          hooks: {
            drawClear: [
              (u) =>
                clip(u, (ctx) => {
                  for (const f of tl.faults) {
                    if (f.failed) continue;
                    ctx.fillStyle = faultFill(f.kind);
                    ctx.fillRect(...bandRect(u, f, undefined));
                  }
                }),
            ],
            setScale: [syncX(() => tlChart)],
          },
        },
        pdata,
        peersEl,
      );
      all.push([peersChart, peersEl]);
    }

    // Hover and click: nearest notification in the lane under the cursor, else a node event, else a fault.
    const tip = tooltip();
    function lowerBound(arr, v) {
      let lo = 0, hi = arr.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (arr[m] < v) lo = m + 1;
        else hi = m;
      }
      return lo;
    }
    function hitAt(clientX, clientY) {
      const u = tlChart;
      const r = u.over.getBoundingClientRect();
      const cx = clientX - r.left, cy = clientY - r.top;
      const xv = u.posToVal(cx, 'x');
      const lane = Math.round(u.posToVal(cy, 'y'));
      const tol = Math.abs(u.posToVal(cx + 7, 'x') - xv);
      let best = -1, bestD = Infinity;
      for (let k = lowerBound(sortedT, xv - tol); k < N && sortedT[k] <= xv + tol; k++) {
        const i = order[k];
        const s = tl.n.s[i];
        if (lane !== RECV && !(s >= 0 && laneOf(s) === lane)) continue;
        // Pixel distance; in the receiver lane the sender rows count too.
        const d = Math.abs(u.valToPos(sortedT[k], 'x') - cx) + (lane === RECV ? Math.abs(u.valToPos(recvY(s), 'y') - cy) : 0);
        if (d < bestD) (bestD = d), (best = i);
      }
      if (best >= 0) return { n: best };
      for (const ev of tl.nodeEvents) if (ev.node >= 0 && laneOf(ev.node) === lane && Math.abs(ev.t - xv) <= tol) return { ev };
      for (const f of tl.faults) if (!f.failed && xv >= f.from && xv <= f.to && faultLanes(f).some((l) => l === undefined || l === lane)) return { f };
      return null;
    }
    function describe(hit) {
      const box = h('div', { class: 'detail' });
      if (hit.n !== undefined) {
        const i = hit.n;
        const f = tl.n.f[i];
        const s = tl.n.s[i];
        const flags = [];
        if (f & FLAG.duplicate) flags.push(h('span', { class: 'flag dup' }, 'DUPLICATE'));
        if (f & FLAG.evidence) flags.push(h('span', { class: 'flag evid' }, 'evidence'));
        if (f & FLAG.undelivered) flags.push(h('span', { class: 'flag und' }, 'not delivered'));
        box.append(
          h('div', null, h('strong', null, 'notification #' + tl.n.id[i]), ' (history seq ' + tl.n.seq[i] + ') ', ...flags),
          h('div', null, fmtT(tl.n.t[i]) + '  ·  ' + fmtWall(tl.wall0 + tl.n.t[i] * 1000)),
          h('div', null, 'from ', h('span', { class: 'swatch', style: 'background:' + color(s) }), s < 0 ? 'unknown sender' : tl.nodes[s], ' → ' + tl.receivers[tl.n.r ? tl.n.r[i] : 0]),
          h('div', null, (f & FLAG.resolved ? 'resolved' : 'firing') + ' · answered ' + (i in tl.n.a ? tl.n.a[i] : 200)),
          h('div', { class: 'mono' }, 'group ' + tl.groups[tl.n.g[i]]),
        );
        const evRow = document.getElementById(tl.anchor + '-seq' + tl.n.seq[i]);
        if (evRow) {
          const a = h('a', { href: '#' + evRow.id }, 'evidence and raw JSON ↓');
          box.append(h('div', null, a));
        }
      } else if (hit.ev) {
        box.append(h('div', null, h('strong', null, tl.nodes[hit.ev.node] + ' ' + hit.ev.state), '  ' + fmtT(hit.ev.t) + '  ·  ' + fmtWall(tl.wall0 + hit.ev.t * 1000)));
      } else if (hit.f) {
        const f = hit.f;
        const scope = f.components && f.components.length ? f.components.map((c) => c.join(' ')).join(' | ') : (f.nodes || []).join(', ') || 'all';
        box.append(
          h('div', null, h('strong', null, 'fault #' + f.fault + ' ' + f.kind), ': ' + f.description),
          h('div', null, 'scope ' + scope + ' · applied ' + fmtT(f.from) + ' → ' + (f.open ? 'never removed' : 'removed ' + fmtT(f.to))),
        );
      }
      return box;
    }
    tlChart.over.addEventListener('mousemove', (e) => {
      const hit = hitAt(e.clientX, e.clientY);
      if (!hit) {
        tip.hidden = true;
        tlChart.over.style.cursor = '';
        return;
      }
      tlChart.over.style.cursor = hit.n !== undefined ? 'pointer' : '';
      tip.replaceChildren(describe(hit));
      tip.hidden = false;
      const x = Math.min(e.pageX + 14, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8);
      tip.style.left = x + 'px';
      tip.style.top = e.pageY + 14 + 'px';
    });
    tlChart.over.addEventListener('mouseleave', () => (tip.hidden = true));
    let downAt = null;
    tlChart.over.addEventListener('mousedown', (e) => (downAt = [e.clientX, e.clientY]));
    tlChart.over.addEventListener('mouseup', (e) => {
      // A drag is a zoom, not a click.
      if (!downAt || Math.abs(e.clientX - downAt[0]) > 3) return;
      const hit = hitAt(e.clientX, e.clientY);
      if (hit && detail) {
        detail.replaceChildren(describe(hit));
        if (hit.n !== undefined) select([tl.n.seq[hit.n]]);
      }
    });

    function select(seqs) {
      const want = new Set(seqs);
      focusR.fill(null);
      focusN.fill(null);
      order.forEach((i, k) => {
        if (!want.has(tl.n.seq[i])) return;
        focusR[k + 1] = recvY(tl.n.s[i]);
        if (tl.n.s[i] >= 0) focusN[k + 1] = laneOf(tl.n.s[i]);
      });
      tlChart.setData(data, false);
    }
    function zoom(from, to) {
      tlChart.setScale('x', { min: Math.max(xMin, from), max: Math.min(xMax, Math.max(to, from + 0.5)) });
    }
    charts.set(tl.anchor, { zoom, select, reset: () => zoom(xMin, xMax), el, detail, describe, order, tl, focusIdx });
  }

  // ---------------------------------------------------------------------------------------------
  // Distributions (histograms) of check figures.

  function drawDistribution(id, d) {
    const el = document.getElementById(id);
    if (!el) return;
    const w = d.edges.length > 1 ? d.edges[1] - d.edges[0] : 1;
    const xs = d.edges.map((e) => e + w / 2);
    const u = new uPlot(
      {
        width: Math.min(560, widthOf(el)),
        height: 170,
        legend: { show: false },
        cursor: { show: true, y: false, points: { show: false } },
        scales: { x: { time: false, range: [d.min, d.min + w * d.edges.length] }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        axes: [{ label: d.key, labelSize: 18, size: 36 }, { label: 'count', labelSize: 16, size: 46 }],
        series: [{}, { label: 'count', fill: 'rgba(0,114,178,0.45)', stroke: '#0072B2', width: 1, paths: uPlot.paths.bars({ size: [0.92, Infinity], align: 0 }), points: { show: false } }],
      },
      [xs, d.counts],
      el,
    );
    all.push([u, el, 560]);
  }

  // ---------------------------------------------------------------------------------------------
  // Latency sweep: duplicates at each injected gossip latency, with the peer timeout and the
  // threshold drawn as vertical lines, and the fewest peers any node listed on a second axis.

  function drawSweep(sw) {
    const el = document.getElementById(sw.id);
    if (!el) return;
    const probes = sw.probes.slice().sort((a, b) => a.latencyMs - b.latencyMs);
    const xs = probes.map((p) => p.latencyMs);
    const dups = probes.map((p) => p.duplicates);
    const peers = probes.map((p) => (p.minPeers == null ? null : p.minPeers));
    const maxX = Math.max(xs[xs.length - 1], sw.peerTimeoutMs || 0, sw.thresholdMs || 0);
    // Labels sit left of their line, on the first text row; a label that would run into the one
    // drawn before it (a threshold close to the peer timeout) takes the next row.
    let lastLabel = null;
    function vline(u, x, colour, dash, label) {
      if (x == null) return;
      const cx = u.valToPos(x, 'x', true);
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
      ctx.beginPath();
      ctx.moveTo(cx, u.bbox.top);
      ctx.lineTo(cx, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = colour;
      ctx.font = `${12 * devicePixelRatio}px sans-serif`;
      ctx.textAlign = 'right';
      const right = cx - 4 * devicePixelRatio;
      const left = right - ctx.measureText(label).width;
      const clash = lastLabel && left < lastLabel.right + 6 * devicePixelRatio && right > lastLabel.left - 6 * devicePixelRatio;
      const row = clash ? lastLabel.row + 1 : 0;
      ctx.fillText(label, right, u.bbox.top + (14 + 15 * row) * devicePixelRatio);
      lastLabel = { left, right, row };
      ctx.restore();
    }
    const u = new uPlot(
      {
        width: Math.min(720, widthOf(el)),
        height: 220,
        cursor: { y: false, points: { size: 10 } },
        scales: {
          x: { time: false, range: [0, maxX * 1.08] },
          y: { range: (u, min, max) => [0, Math.max(1, max) * 1.15] },
          // Peer counts sit in the lower part of the plot, apart from the duplicate marks.
          peers: { range: [0, Math.max(1, sw.nodes || 0, ...peers.filter((p) => p != null)) * 1.8] },
        },
        axes: [
          { label: 'added one-way gossip latency (ms)', labelSize: 18, size: 40 },
          { label: 'duplicates', labelSize: 16, size: 46 },
          { scale: 'peers', side: 1, label: 'fewest peers', labelSize: 16, size: 46, grid: { show: false } },
        ],
        series: [
          { label: 'latency', value: (u, v) => (v == null ? '' : v + ' ms') },
          { label: 'duplicates', stroke: '#D55E00', width: 0, points: { show: true, size: 9, fill: '#D55E00', stroke: '#D55E00' } },
          { label: 'fewest peers', scale: 'peers', stroke: '#0072B2', width: 1.5, dash: [4, 3], points: { show: true, size: 6, fill: '#fff' } },
        ],
        hooks: {
          draw: [
            (u) => {
              lastLabel = null;
              vline(u, sw.peerTimeoutMs, '#555', [6, 4], 'peer timeout');
              vline(u, sw.thresholdMs, '#D55E00', [], 'duplicates start');
            },
          ],
        },
      },
      [xs, dups, peers],
      el,
    );
    all.push([u, el, 720]);
  }

  // ---------------------------------------------------------------------------------------------
  // Run index: verdict trend and duplicates per scenario across runs.

  function drawTrend(trend) {
    const el = document.getElementById('trend-dups');
    if (!el || !trend.x.length) return;
    const series = [{ label: 'run', value: (u, v) => (v == null ? '' : new Date(v * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z') }];
    const data = [trend.x];
    trend.series.forEach((s, i) => {
      series.push({ label: s.label, stroke: color(i), width: 2, spanGaps: true, points: { show: true, size: 6, fill: color(i) } });
      data.push(s.values);
    });
    const u = new uPlot(
      {
        width: widthOf(el),
        height: 240,
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { label: 'duplicates', labelSize: 18, size: 50 }],
        series,
      },
      data,
      el,
    );
    all.push([u, el]);
  }

  // ---------------------------------------------------------------------------------------------

  function wire() {
    document.addEventListener('click', (e) => {
      const target = e.target instanceof Element ? e.target.closest('button[data-zoom], button[data-reset]') : null;
      if (!target) return;
      const anchor = target.getAttribute('data-zoom') || target.getAttribute('data-reset');
      const c = charts.get(anchor);
      if (!c) return;
      if (target.hasAttribute('data-reset')) {
        c.reset();
        return;
      }
      const seqs = (target.getAttribute('data-seqs') || '').split(' ').filter(Boolean).map(Number);
      if (seqs.length) {
        c.select(seqs);
        const i = c.tl.n.seq.indexOf(seqs[0]);
        if (i >= 0 && c.detail) c.detail.replaceChildren(c.describe({ n: i }));
      }
      // After select(): setData must not reset the zoom we set now.
      c.zoom(Number(target.getAttribute('data-from')), Number(target.getAttribute('data-to')));
      c.el.scrollIntoView({ behavior: 'smooth', block: 'center' });
    });
    let timer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        for (const [u, el, max] of all) u.setSize({ width: max ? Math.min(max, widthOf(el)) : widthOf(el), height: u.height });
      }, 150);
    });
  }

  try {
    if (DATA.page === 'run') {
      for (const tl of DATA.timelines) drawTimeline(tl);
      for (const d of DATA.distributions) drawDistribution(d.id, d.d);
      for (const sw of DATA.sweeps || []) drawSweep(sw);
    } else if (DATA.page === 'index') {
      drawTrend(DATA.trend);
    }
    wire();
  } finally {
    // Read by the browser test and handy for anyone profiling a big report: script time (build
    // every chart), then, after the first frame that shows them, the time since navigation start
    // (includes parsing the HTML and its data).
    const scriptMs = Math.round(performance.now() - started);
    document.documentElement.setAttribute('data-script-ms', String(scriptMs));
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        document.documentElement.setAttribute('data-render-ms', String(Math.round(performance.now() - started)));
        document.documentElement.setAttribute('data-painted-ms', String(Math.round(performance.now())));
        document.documentElement.setAttribute('data-rendered', 'true');
      }),
    );
  }
})();
