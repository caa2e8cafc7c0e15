/**
 * The process around a daemon: SIGTERM/SIGINT drain and stop it, a backstop bounds how long that may take, a second
 * signal exits at once, and a boot failure or an uncaught error exits non-zero.
 */
import { messageOf, WispdError } from './lib/errors.ts';
import type { Logger } from './lib/log.ts';

export interface Runnable {
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

export async function runUntilSignalled(target: Runnable, log: Logger, shutdownTimeoutMs: number): Promise<void> {
  let stopping: Promise<void> | undefined;

  const stop = (reason: string) => {
    const t0 = performance.now();
    log.info({ reason }, 'stopping');
    setTimeout(() => {
      log.error({ timeout_ms: shutdownTimeoutMs, code: 'WISPD_SHUTDOWN_TIMEOUT' }, 'shutdown timed out; exiting');
      process.exit(1);
    }, shutdownTimeoutMs).unref();
    return target.stop().then(() => {
      log.info({ ms: Math.round(performance.now() - t0) }, 'stopped');
    });
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without draining');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection; exiting');
    process.exit(1);
  });

  try {
    await target.start();
  } catch (err) {
    const root = err instanceof WispdError && err.cause instanceof WispdError ? err.cause : err;
    log.fatal({ code: root instanceof WispdError ? root.code : undefined, err: messageOf(err) }, 'boot failed');
    await target.stop().catch(() => undefined);
    process.exit(1);
  }
  await stopping;
}
