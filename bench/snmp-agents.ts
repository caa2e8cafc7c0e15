// The simulated radios of bench/snmp.bench.ts (net-snmp Agents, test/helpers/snmp-sim.ts), in a process of their own:
// answering SNMP costs CPU too, and it must not be counted as the poller's.
// Run by the bench with a JSON job on argv[2]; prints the ports as one JSON line once every agent listens, and stops
// when its standard input closes (or on SIGTERM).
import { type SimRadio, startRadio } from '../test/helpers/snmp-sim.ts';

export interface AgentsJob {
  kind: 'bench20' | 'interfaces';
  /** Agents (UDP ports); the bench spreads its devices over them. */
  agents: number;
  /** IF-MIB rows of an `interfaces` radio. */
  interfaces: number;
}

const job = JSON.parse(process.argv[2]!) as AgentsJob;
const radios: SimRadio[] = [];
for (let i = 0; i < job.agents; i++) {
  // Counters that move, so the poller's rates are real numbers rather than zeros.
  radios.push(await startRadio({ kind: job.kind, interfaces: job.interfaces, bytesPerSecond: 1_000_000 }));
}
process.stdout.write(`${JSON.stringify(radios.map((r) => r.port))}\n`);

const stop = async () => {
  await Promise.all(radios.map((r) => r.close()));
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The bench going away (even killed) closes this pipe: the agents go with it.
process.stdin.on('end', stop);
process.stdin.resume();
