/**
 * Worker threads run the same way from the TypeScript sources (through tsx) and from the compiled JavaScript: the
 * worker file has the extension of the module that starts it. From the sources, a small bootstrap registers tsx in
 * the worker before importing it (command-line loaders are not reliably inherited by workers).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  const ts = from.endsWith('.ts');
  const url = new URL(`./${name}${ts ? '.ts' : '.js'}`, from);
  if (!ts) return new Worker(url, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}
