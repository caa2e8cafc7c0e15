/**
 * Every error wispd raises on purpose carries one of these codes and the context that explains it. The catalogue is
 * the single list: docs/errors.md describes each code, and a test checks that the two agree.
 */
export const errorCodes = {
  WISPD_CONFIG_FILE: 'the config file cannot be read or is not valid YAML',
  WISPD_CONFIG_UNKNOWN_KEY: 'a key in the config file or a WISPD_* environment variable is not part of the schema',
  WISPD_CONFIG_INVALID_VALUE: 'a config value has the wrong type or is out of range',
  WISPD_DATADIR_LOCKED: 'another wispd process owns the data directory of the embedded stores',
  WISPD_DATADIR: 'the data directory cannot be created or written',
  WISPD_POSTGRES_CONNECT: 'PostgreSQL (or embedded PGlite) cannot be reached or opened',
  WISPD_CLICKHOUSE_CONNECT: 'ClickHouse (or embedded chDB) cannot be reached or opened',
  WISPD_MIGRATION_FAILED: 'a schema migration failed to apply; nothing of that migration was kept',
  WISPD_MIGRATION_CHANGED: 'a migration that was already applied has been edited since (checksum differs)',
  WISPD_MIGRATION_UNKNOWN:
    'the database holds a migration this version of wispd does not know (a newer wispd ran on it)',
  WISPD_SECRET_KEY: 'a secret stored in the database cannot be opened: the key differs from the one that sealed it',
  WISPD_INVALID_INPUT: 'a value given to a command or the panel cannot be stored (the message names the field)',
  WISPD_NOT_FOUND: 'the NAS, plan or subscriber named does not exist',
  WISPD_ALREADY_EXISTS: 'a NAS, plan or subscriber with that name already exists',
  WISPD_CONTROL: 'a command that acts through the daemon could not reach it (it is not running, or did not answer)',
  WISPD_BUS_CONNECT: 'the NATS server cannot be reached',
  WISPD_BUS_NO_RESPONDERS: 'a bus request found nobody subscribed to its subject',
  WISPD_BUS_TIMEOUT: 'a bus request got no reply in time',
  WISPD_BUS_HANDLER_FAILED: 'the handler that answers a bus request threw',
  WISPD_COMPONENT_START: 'a component failed to start; the ones already started were stopped',
  WISPD_SHUTDOWN_TIMEOUT: 'the components did not stop within daemon.shutdown_timeout',
  WISPD_TELEMETRY_BACKPRESSURE: 'more telemetry is waiting for ClickHouse than telemetry.max_pending_rows allows',
  WISPD_TELEMETRY_UNAVAILABLE: 'telemetry cannot be stored: ClickHouse refuses it and the spool is off or full',
  WISPD_TELEMETRY_INVALID: 'a telemetry batch (NDJSON line, exposition, ACS answer) cannot be read',
  WISPD_INGEST_UNAUTHORIZED: 'a push or live stream came without a known collector token',
  WISPD_SNMP_PROFILE: 'an SNMP profile file is not valid (the message names the file and the key)',
  WISPD_SCRAPE_FAILED: 'an EPC metrics URL or the GenieACS NBI cannot be read (unreachable, timed out, HTTP error)',
  WISPD_TELEMETRY_SLOW: 'a telemetry body arrived slower than ingest.min_body_rate or not within ingest.body_timeout',
  WISPD_ADMIN_LISTEN: 'the staff panel cannot listen on admin.listen (the address is in use or not local)',
  WISPD_RADIUS_LISTEN: 'the RADIUS sockets cannot listen on radius.address and its ports (in use, or not local)',
  WISPD_COA_LISTEN: 'the CoA socket cannot bind coa.address (not an address of this machine)',
  WISPD_CSRF: 'a request that changes something came from another site, or a form post lacked the CSRF token',
  WISPD_STAFF_UNAUTHORIZED:
    'a panel request came without a valid staff session, or a login had a wrong email or password',
  WISPD_STAFF_FORBIDDEN: "the staff member's role does not allow this action on this resource",
  WISPD_STAFF_LOGIN_LIMITED: 'too many failed logins for this email or from this address within admin.login_window',
  WISPD_PLUGIN_INVALID: 'a module named in plugins.enabled does not export a plugin definePlugin accepts',
  WISPD_PLUGIN_UNAVAILABLE: 'a route of a plugin that failed to load or is failing its health check',
  WISPD_CUSTOMER_UNAUTHORIZED: "a plugin's portal route (/portal/api/<plugin>/) without a signed-in customer",
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class WispdError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WispdError';
    this.code = code;
    this.context = context;
  }
}

export function isWispdError(err: unknown, code?: ErrorCode): err is WispdError {
  return err instanceof WispdError && (code === undefined || err.code === code);
}

/** The message of anything thrown, for logs and CLI output. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
