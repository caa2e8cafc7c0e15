/**
 * The one shape of every wispd component: a config section with defaults (its `config.ts`), a `create(config, deps)`
 * without side effects that returns a Component, then `start()` and `stop()`. Counters are plain numbers read at any
 * time (the panel's /metrics and the benches read them).
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Releases everything `start()` took; called once, also after a failed or partial start. */
  stop(): Promise<void>;
  counters(): Readonly<Record<string, number>>;
  /** One phrase for the `ready` log line, e.g. "embedded chDB (data/chdb)". */
  describe(): string;
  /** What a person starting the daemon should read once it is ready (a URL, a first step), logged after `ready`. */
  afterReady?(): void;
}
