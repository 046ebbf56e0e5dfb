/**
 * The Toxiproxy version whose API this server implements. `/version` reports it exactly as Toxiproxy
 * 2.12.0 does, so clients that compare versions (or wait for a given one) accept this server.
 */
export const API_VERSION = '2.12.0';

/** Who answers: an extra `/version` field (clients ignore fields they do not know). */
export const API_SERVER = 'amchaos';

/** The `/version` body: Toxiproxy's text (a space after each colon, a trailing newline) plus `server`. */
export const VERSION_BODY = `{"version": "${API_VERSION}", "server": "${API_SERVER}"}\n`;
