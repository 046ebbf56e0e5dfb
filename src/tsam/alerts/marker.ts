/**
 * types.AlertMarker, reduced to what `alertmanager_alerts{state}` reads: whether an alert was last seen
 * suppressed (silenced or inhibited) or active, or not yet seen at all (unprocessed). The notify pipeline's mute stages set it on every flush;
 * up to 0.28 the API's alert queries set it too (0.33 predicts the status on a throw-away marker, so
 * there only the pipeline does).
 */
export class AlertMarker {
  private readonly suppressed = new Map<string, boolean>();

  set(fingerprint: string, suppressed: boolean): void {
    this.suppressed.set(fingerprint, suppressed);
  }

  /** An alert no mute stage (or, up to 0.28, no API query) has looked at yet is "unprocessed". */
  state(fingerprint: string): 'active' | 'suppressed' | 'unprocessed' {
    const s = this.suppressed.get(fingerprint);
    return s === undefined ? 'unprocessed' : s ? 'suppressed' : 'active';
  }

  /** Forgets alerts the store no longer has. */
  retain(has: (fingerprint: string) => boolean): void {
    for (const fp of this.suppressed.keys()) if (!has(fp)) this.suppressed.delete(fp);
  }
}
