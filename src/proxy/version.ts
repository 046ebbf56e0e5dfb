/** What /version reports: the Toxiproxy API level this server implements, marked as amchaos's. */
export const API_VERSION = '2.12.0-amchaos';
