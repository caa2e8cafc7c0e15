/** What the RADIUS bench and its load generators share. */

export type Mode = 'pap' | 'chap' | 'mschapv2' | 'acct';

export interface Job {
  port: number;
  secret: string;
  mode: Mode;
  users: number;
  /** This generator's share of users: [first, first + count). */
  first: number;
  count: number;
  rps: number;
  seconds: number;
  sockets: number;
}

/** Latency histogram: 10 µs buckets up to 100 ms. */
export const BUCKET_US = 10;
export const BUCKETS = 10_000;

export interface LoadResult {
  sent: number;
  received: number;
  lost: number;
  skipped: number;
  histogram: number[];
}
