/**
 * The SNMP poller's thread: polling thousands of devices (BER encoding, decoding, rates, row building) never takes
 * time from RADIUS on the main thread. Rows leave as one transferred buffer per batch, not as objects.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PollResult, StatusChange } from '../../contracts/telemetry/index.ts';
import { Poller, type PollerOptions, type PollTarget } from './poller.ts';
import { loadProfiles } from './profile.ts';

export interface SnmpWorkerData {
  options: PollerOptions;
  profilesDir: string;
}

export type ToWorker = { type: 'targets'; targets: PollTarget[] } | { type: 'stop' };

export type FromWorker =
  | { type: 'rows'; body: ArrayBuffer; rows: number }
  | { type: 'status'; change: StatusChange }
  | { type: 'polled'; results: PollResult[]; counters: Record<string, number> }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const data = workerData as SnmpWorkerData;

try {
  const poller: Poller = new Poller(data.options, loadProfiles(data.profilesDir), {
    rows(batch) {
      // A buffer of its own (not a slice of Node's shared pool), so it can be transferred without a copy.
      const own = new Uint8Array(batch.body.length);
      own.set(batch.body);
      post({ type: 'rows', body: own.buffer, rows: batch.rows }, [own.buffer]);
    },
    status(change) {
      post({ type: 'status', change });
    },
    polled(results) {
      post({
        type: 'polled',
        results,
        counters: { ...poller.counters, devices: poller.size, ...poller.statusCounts() },
      });
    },
  });
  poller.start();
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'targets') poller.setTargets(m.targets);
    else if (m.type === 'stop') {
      await poller.stop();
      post({ type: 'stopped' });
    }
  });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
}
