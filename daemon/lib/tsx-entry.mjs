// A worker pool's entry when wispd runs from its TypeScript sources: registers tsx in the worker thread (command-line
// loaders are not reliably inherited by workers), then hands over the real task module. Unused once built.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const task = await import(workerData.tsxEntry);
export default task.default;
