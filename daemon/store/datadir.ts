/**
 * The data directory of the embedded stores. One wispd process owns it (PGlite and chDB are single-owner); the owner
 * records its pid in `wispd.lock` and the loopback endpoints it serves (`postgres.json`), so the CLI and the panel
 * reach the embedded stores through the running daemon instead of opening the files a second time.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';

export interface Endpoint {
  pid: number;
  host: string;
  port: number;
}

export type Ownership = { owned: true } | { owned: false; pid: number };

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdirSync never returns for a path under /proc or /sys (it retries
 * the parent for ever), which left the daemon spinning with no error.
 */
function mkdirs(p: string): void {
  const missing: string[] = [];
  for (let at = p; !existsSync(at); at = dirname(at)) {
    if (dirname(at) === at) break;
    missing.unshift(at);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDir {
  readonly path: string;
  #owned = false;
  #holder: number | undefined;

  constructor(path: string) {
    this.path = resolve(path);
  }

  /** A path inside the data directory, created as a directory when `dir` is set. */
  sub(name: string, dir = false): string {
    const p = join(this.path, name);
    if (dir) this.#mkdir(p);
    return p;
  }

  #mkdir(p: string): void {
    try {
      mkdirs(p);
    } catch (err) {
      throw new WispdError(
        'WISPD_DATADIR',
        `cannot create ${p} (daemon.data_dir ${this.path}): ${(err as Error).message}`,
        { path: p },
      );
    }
  }

  get owned(): boolean {
    return this.#owned;
  }

  /** The live process that held the directory when `acquire()` last found it taken. */
  get holder(): number | undefined {
    return this.#holder;
  }

  /** Takes the directory for this process, or says which live process holds it. A lock left by a dead pid is taken over. */
  acquire(): Ownership {
    if (this.#owned) return { owned: true };
    this.#mkdir(this.path);
    const lock = join(this.path, 'wispd.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(lock, `${JSON.stringify({ pid: process.pid, since: new Date().toISOString() })}\n`, {
          flag: 'wx',
        });
        this.#owned = true;
        return { owned: true };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new WispdError('WISPD_DATADIR', `cannot write ${lock}: ${(err as Error).message}`, { path: lock });
        }
      }
      const holder = this.#readHolder(lock);
      if (holder !== undefined && holder !== process.pid && alive(holder)) {
        this.#holder = holder;
        return { owned: false, pid: holder };
      }
      rmSync(lock, { force: true });
    }
    throw new WispdError('WISPD_DATADIR_LOCKED', `cannot take ${lock}: it keeps reappearing`, { path: lock });
  }

  /** Like `acquire`, but a directory held by another process is an error. */
  acquireOrThrow(): void {
    const ownership = this.acquire();
    if (!ownership.owned) {
      throw new WispdError(
        'WISPD_DATADIR_LOCKED',
        `${this.path} is in use by another wispd process (pid ${ownership.pid}); stop it or give this one another daemon.data_dir`,
        { path: this.path, pid: ownership.pid },
      );
    }
  }

  #readHolder(lock: string): number | undefined {
    try {
      const pid = JSON.parse(readFileSync(lock, 'utf8')).pid;
      return Number.isInteger(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  release(): void {
    if (!this.#owned) return;
    rmSync(join(this.path, 'wispd.lock'), { force: true });
    this.#owned = false;
  }

  writeEndpoint(name: string, endpoint: Omit<Endpoint, 'pid'>): void {
    writeFileSync(join(this.path, `${name}.json`), `${JSON.stringify({ pid: process.pid, ...endpoint })}\n`);
  }

  removeEndpoint(name: string): void {
    rmSync(join(this.path, `${name}.json`), { force: true });
  }

  /** The endpoint a live owner recorded, if any. */
  readEndpoint(name: string): Endpoint | undefined {
    try {
      const e = JSON.parse(readFileSync(join(this.path, `${name}.json`), 'utf8')) as Endpoint;
      return alive(e.pid) ? e : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The data directory as the daemon's first component: taken at start, let go at stop. */
export function dataDirLock(dataDir: DataDir): Component {
  return {
    name: 'data-dir',
    async start() {
      dataDir.acquireOrThrow();
    },
    async stop() {
      dataDir.release();
    },
    counters: () => ({}),
    describe: () => dataDir.path,
  };
}
