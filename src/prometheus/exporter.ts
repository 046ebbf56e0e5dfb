import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { labelKey, type LabelSet } from '../history/types.js';
import { ALERT_METRIC } from './config.js';

/**
 * The harness's exporter: one gauge series per alert of the alert set, with the alert's labels, set
 * to 1 while the alert's condition holds and 0 after. Prometheus scrapes it; the rules turn 1 into
 * firing alerts. It listens on loopback only (Prometheus replicas run on the harness's host).
 */
export class AlertExporter {
  private readonly values = new Map<string, { labels: LabelSet; value: 0 | 1 }>();
  private server: Server | undefined;
  private scrapes = 0;

  /** Sets an alert's gauge; returns whether it changed. */
  set(labels: LabelSet, value: 0 | 1): boolean {
    const key = labelKey(labels);
    const prev = this.values.get(key);
    if (prev?.value === value) return false;
    this.values.set(key, { labels, value });
    return true;
  }

  value(labels: LabelSet): 0 | 1 | undefined {
    return this.values.get(labelKey(labels))?.value;
  }

  /** How many scrapes were answered (the replicas' first scrape proves they see the exporter). */
  get scrapeCount(): number {
    return this.scrapes;
  }

  /** The text exposition of every gauge. */
  render(): string {
    const lines = [`# HELP ${ALERT_METRIC} 1 while the amchaos alert's condition holds.`, `# TYPE ${ALERT_METRIC} gauge`];
    for (const { labels, value } of this.values.values()) {
      const names = Object.keys(labels).sort();
      lines.push(`${ALERT_METRIC}{${names.map((n) => `${n}="${escapeLabelValue(labels[n]!)}"`).join(',')}} ${value}`);
    }
    return lines.join('\n') + '\n';
  }

  /** Listens on 127.0.0.1 (any free port unless given); returns host:port. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
        this.scrapes++;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.render());
        return;
      }
      res.writeHead(404).end();
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    const a = server.address() as AddressInfo;
    return `127.0.0.1:${a.port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
