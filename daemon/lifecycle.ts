import type { Component } from './lib/component.ts';
import { WispdError } from './lib/errors.ts';
import type { Logger } from './lib/log.ts';

/**
 * Starts components in the order they were added and stops them in reverse. A failed start stops what was already
 * started (the failed one included, so it can release what it half-acquired) and rethrows. A stop requested while
 * starting lets the component being started finish, starts no more, and stops them all.
 */
export class Lifecycle {
  readonly #components: Component[] = [];
  readonly #started: Component[] = [];
  readonly #log: Logger;
  #starting: Promise<void> | undefined;
  #stopRequested = false;
  #stopping: Promise<void> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  add<C extends Component>(component: C): C {
    this.#components.push(component);
    return component;
  }

  get components(): readonly Component[] {
    return this.#components;
  }

  /** Resolves to false when a stop was requested before every component had started. */
  async start(): Promise<boolean> {
    this.#starting = this.#startAll();
    await this.#starting;
    return !this.#stopRequested;
  }

  async #startAll(): Promise<void> {
    for (const component of this.#components) {
      if (this.#stopRequested) return;
      const t0 = performance.now();
      this.#started.push(component);
      try {
        await component.start();
      } catch (err) {
        // The boot failure line says what failed; the stack is for a bug, not for a refused port or a bad config.
        if (!(err instanceof WispdError))
          this.#log.debug({ component: component.name, err }, 'component failed to start');
        await this.#stopAll();
        throw new WispdError(
          'WISPD_COMPONENT_START',
          `${component.name} failed to start: ${(err as Error).message}`,
          { component: component.name },
          { cause: err },
        );
      }
      this.#log.debug({ component: component.name, ms: Math.round(performance.now() - t0) }, 'component started');
    }
  }

  /** Once the daemon is ready: each component's `afterReady`, in start order. */
  afterReady(): void {
    for (const c of this.#started) c.afterReady?.();
  }

  /** Stops every started component in reverse order; later calls wait for the first. */
  stop(): Promise<void> {
    this.#stopRequested = true;
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => undefined);
      await this.#stopAll();
    })();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    while (this.#started.length > 0) {
      const component = this.#started.pop()!;
      const t0 = performance.now();
      try {
        await component.stop();
        this.#log.debug({ component: component.name, ms: Math.round(performance.now() - t0) }, 'component stopped');
      } catch (err) {
        this.#log.error({ component: component.name, err }, 'component failed to stop cleanly');
      }
    }
  }

  counters(): Record<string, Readonly<Record<string, number>>> {
    return Object.fromEntries(this.#components.map((c) => [c.name, c.counters()]));
  }
}
