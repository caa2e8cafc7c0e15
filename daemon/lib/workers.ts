/**
 * Worker threads run the same way from the TypeScript sources (through tsx) and from the compiled JavaScript: the
 * worker file has the extension of the module that starts it. From the sources, a small bootstrap registers tsx in
 * the worker before importing it (command-line loaders are not reliably inherited by workers).
 */
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  const ts = from.endsWith('.ts');
  const url = new URL(`./${name}${ts ? '.ts' : '.js'}`, from);
  if (!ts) return new Worker(url, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}

/** A piscina pool's `filename` and `workerData` for the task module `name` next to `from` (sources or built). */
export function poolWorker(from: string, name: string): { filename: string; workerData?: { tsxEntry: string } } {
  const ts = from.endsWith('.ts');
  const url = new URL(`./${name}${ts ? '.ts' : '.js'}`, from);
  if (!ts) return { filename: fileURLToPath(url) };
  return { filename: fileURLToPath(new URL('./tsx-entry.mjs', import.meta.url)), workerData: { tsxEntry: url.href } };
}
