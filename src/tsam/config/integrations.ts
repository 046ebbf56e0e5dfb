/**
 * Every receiver integration Alertmanager accepts, per version, with the checks its config loader
 * makes (Go's wording). tsam delivers only webhooks; the others are accepted so that a user's real
 * alertmanager.yml loads, logged once at start as not delivered, and every notification for them is
 * counted as failed (`alertmanager_notifications_failed_total{integration="email"}`), as a real node
 * that cannot reach the mail server would count it.
 */
import type { CompatVersion } from '../compat/compat.js';

/** The receiver keys in Go's struct order (config.original lists them in this order). */
const INTEGRATIONS_033 = [
  'discord', 'email', 'incidentio', 'pagerduty', 'slack', 'webhook', 'opsgenie', 'wechat', 'pushover',
  'victorops', 'sns', 'telegram', 'webex', 'msteams', 'msteamsv2', 'jira', 'rocketchat', 'mattermost',
] as const;
export type IntegrationName = (typeof INTEGRATIONS_033)[number];

const NEW_IN_028: readonly IntegrationName[] = ['msteams', 'msteamsv2', 'jira', 'rocketchat'];
const NEW_IN_033: readonly IntegrationName[] = ['incidentio', 'mattermost'];

/** The integrations a version knows, in its receiver struct order. */
export function integrationsOf(version: CompatVersion): readonly IntegrationName[] {
  return INTEGRATIONS_033.filter(
    (n) => (version === '0.33.1' || !NEW_IN_033.includes(n)) && (version !== '0.25.0' || !NEW_IN_028.includes(n)),
  );
}

/** A parsed integration tsam does not deliver to: its YAML fields as written. */
export interface OtherIntegration {
  name: Exclude<IntegrationName, 'webhook'>;
  fields: Record<string, unknown>;
}

type Fields = Record<string, unknown>;
type Global = Record<string, unknown>;

function set(f: Fields, ...keys: string[]): boolean {
  return keys.some((k) => f[k] !== undefined && f[k] !== null && f[k] !== '');
}

function atMostOne(f: Fields, a: string, b: string): string | undefined {
  return set(f, a) && set(f, b) ? `at most one of ${a} & ${b} must be configured` : undefined;
}

/** The integration's own UnmarshalYAML checks, run while parsing. */
function ownChecks(name: IntegrationName, f: Fields, version: CompatVersion): string | undefined {
  switch (name) {
    case 'email':
      return set(f, 'to') ? undefined : 'missing to address in email config';
    case 'pagerduty':
      if (!set(f, 'routing_key', 'routing_key_file', 'service_key', 'service_key_file')) return 'missing service or routing key in PagerDuty config';
      return atMostOne(f, 'routing_key', 'routing_key_file') ?? atMostOne(f, 'service_key', 'service_key_file');
    case 'slack':
      return atMostOne(f, 'api_url', 'api_url_file') ?? atMostOne(f, 'app_token', 'app_token_file');
    case 'opsgenie':
      return atMostOne(f, 'api_key', 'api_key_file');
    case 'wechat':
      return atMostOne(f, 'api_secret', 'api_secret_file');
    case 'victorops':
      return set(f, 'routing_key') ? atMostOne(f, 'api_key', 'api_key_file') : 'missing Routing key in VictorOps config';
    case 'pushover':
      if (!set(f, 'user_key', 'user_key_file')) return 'one of user_key or user_key_file must be configured';
      if (set(f, 'user_key') && set(f, 'user_key_file')) return 'at most one of user_key & user_key_file must be configured';
      if (!set(f, 'token', 'token_file')) return 'one of token or token_file must be configured';
      return atMostOne(f, 'token', 'token_file');
    case 'sns':
      return set(f, 'target_arn', 'topic_arn', 'phone_number') ? undefined : 'must provide either a Target ARN, Topic ARN, or Phone Number for SNS config';
    case 'telegram': {
      const both = atMostOne(f, 'bot_token', 'bot_token_file');
      if (both) return both;
      if (!set(f, 'chat_id', 'chat_id_file')) return version === '0.33.1' ? 'missing chat_id or chat_id_file on telegram_config' : 'missing chat_id on telegram_config';
      const mode = f['parse_mode'];
      if (mode !== undefined && mode !== null && !['', 'Markdown', 'MarkdownV2', 'HTML'].includes(String(mode))) {
        return 'unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string';
      }
      return undefined;
    }
    case 'webex': {
      if (!set(f, 'room_id')) return 'missing room_id on webex_config';
      const auth = (f['http_config'] as Fields | undefined)?.['authorization'];
      return auth === undefined || auth === null ? 'missing webex_configs.http_config.authorization' : undefined;
    }
    case 'jira':
      if (!set(f, 'project')) return 'missing project in jira_config';
      return set(f, 'issue_type') ? undefined : 'missing issue_type in jira_config';
    case 'rocketchat':
      return atMostOne(f, 'token', 'token_file') ?? atMostOne(f, 'token_id', 'token_id_file');
    case 'mattermost':
      return atMostOne(f, 'webhook_url', 'webhook_url_file');
    default:
      return undefined;
  }
}

/** Config.UnmarshalYAML's checks against the global section, in Go's order of integrations. */
const GLOBAL_ORDER: readonly IntegrationName[] = [
  'email', 'slack', 'pushover', 'pagerduty', 'incidentio', 'opsgenie', 'wechat', 'victorops', 'sns',
  'telegram', 'discord', 'webex', 'msteams', 'msteamsv2', 'jira', 'rocketchat', 'mattermost',
];

function globalCheck(name: IntegrationName, f: Fields, g: Global, version: CompatVersion): string | undefined {
  switch (name) {
    case 'email':
      if (!set(f, 'smarthost') && !set(g, 'smtp_smarthost')) return 'no global SMTP smarthost set';
      return set(f, 'from') || set(g, 'smtp_from') ? undefined : 'no global SMTP from set';
    case 'slack':
      if (set(f, 'api_url', 'api_url_file', 'app_token', 'app_token_file') || set(g, 'slack_api_url', 'slack_api_url_file', 'slack_app_token', 'slack_app_token_file')) return undefined;
      return version === '0.33.1' ? 'no Slack API URL nor App token set either inline or in a file' : 'no global Slack API URL set either inline or in a file';
    case 'opsgenie':
      return set(f, 'api_key', 'api_key_file') || set(g, 'opsgenie_api_key', 'opsgenie_api_key_file') ? undefined : 'no global OpsGenie API Key set either inline or in a file';
    case 'wechat':
      if (!set(f, 'api_secret', 'api_secret_file') && !set(g, 'wechat_api_secret', 'wechat_api_secret_file')) {
        return version === '0.33.1' ? 'no global Wechat Api Secret set either inline or in a file' : 'no global Wechat ApiSecret set';
      }
      return set(f, 'corp_id') || set(g, 'wechat_api_corp_id') ? undefined : 'no global Wechat CorpID set';
    case 'victorops':
      return set(f, 'api_key', 'api_key_file') || set(g, 'victorops_api_key', 'victorops_api_key_file') ? undefined : 'no global VictorOps API Key set';
    case 'telegram':
      return set(f, 'bot_token', 'bot_token_file') || set(g, 'telegram_bot_token', 'telegram_bot_token_file') ? undefined : 'missing bot_token or bot_token_file on telegram_config';
    case 'discord':
      return set(f, 'webhook_url', 'webhook_url_file') ? undefined : 'no discord webhook URL or URLFile provided';
    case 'msteams':
      return set(f, 'webhook_url', 'webhook_url_file') ? undefined : 'no msteams webhook URL or URLFile provided';
    case 'msteamsv2':
      return set(f, 'webhook_url', 'webhook_url_file') ? undefined : 'no msteamsv2 webhook URL or URLFile provided';
    case 'jira':
      return set(f, 'api_url') || set(g, 'jira_api_url') ? undefined : 'no global Jira Cloud URL set';
    case 'rocketchat':
      if (!set(f, 'token_id', 'token_id_file') && !set(g, 'rocketchat_token_id', 'rocketchat_token_id_file')) return 'no global Rocketchat TokenID set either inline or in a file';
      return set(f, 'token', 'token_file') || set(g, 'rocketchat_token', 'rocketchat_token_file') ? undefined : 'no global Rocketchat Token set either inline or in a file';
    case 'mattermost':
      return set(f, 'webhook_url', 'webhook_url_file') || set(g, 'mattermost_webhook_url', 'mattermost_webhook_url_file') ? undefined : 'missing webhook_url or webhook_url_file on mattermost_config';
    default:
      return undefined;
  }
}

/** The first error Alertmanager reports for one integration entry while parsing it. */
export function checkIntegration(name: IntegrationName, f: Fields, version: CompatVersion): string | undefined {
  return ownChecks(name, f, version);
}

/** The first error Alertmanager reports for a receiver's integrations against the global section. */
export function checkAgainstGlobal(integrations: readonly OtherIntegration[], g: Global, version: CompatVersion): string | undefined {
  for (const name of GLOBAL_ORDER) {
    for (const i of integrations) {
      if (i.name !== name) continue;
      const err = globalCheck(name, i.fields, g, version);
      if (err) return err;
    }
  }
  return undefined;
}
