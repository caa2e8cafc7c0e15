/**
 * The telemetry contract between the collectors (which poll and push) and the daemon (which stores), and between a
 * remote poller at a tower and the daemon: the row format and its escaping, the sink and device-report interfaces,
 * how collectors learn their targets, the CPE registry, and the JetStream stream remote pollers publish to. Both
 * sides import this module and nothing of each other.
 */
export * from '../tsv.ts';
export * from './cpe.ts';
export * from './parse.ts';
export * from './rows.ts';
export * from './sink.ts';
export * from './stream.ts';
export * from './targets.ts';
