/**
 * A throw-away FreeRADIUS (Debian's freeradius 3.2): its radiusd.conf made from the parts a caller needs (clients,
 * modules, listeners and virtual servers) around one common frame, and the server started in the foreground on that
 * directory. The tests' NAS stand-in and the RADIUS bench's peer are both made here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FREERADIUS = ['/usr/sbin/freeradius', '/usr/sbin/radiusd'].find((p) => existsSync(p)) ?? 'freeradius';

export interface FreeradiusParts {
  clients: Array<{ name: string; ipaddr: string; secret: string; requireMessageAuthenticator?: boolean }>;
  /** The `modules { … }` body. */
  modules: string;
  /** `listen` sections and `server` sections. */
  servers: string;
  maxRequests?: number;
  /** A `thread pool { … }` section; FreeRADIUS's defaults without it. */
  threadPool?: string;
}

/** Writes `dir`/radiusd.conf (and the dictionary, log and run folders) from the parts. */
export function writeFreeradiusConfig(dir: string, parts: FreeradiusParts): void {
  for (const d of ['log', 'run']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'dictionary'), '$INCLUDE /usr/share/freeradius/dictionary\n');
  const clients = parts.clients
    .map(
      (c) => `client ${c.name} {
	ipaddr = ${c.ipaddr}
	secret = ${c.secret}${c.requireMessageAuthenticator ? '\n\trequire_message_authenticator = yes' : ''}
}`,
    )
    .join('\n');
  writeFileSync(
    join(dir, 'radiusd.conf'),
    `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
run_dir = ${dir}/run
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = ${parts.maxRequests ?? 1024}
hostname_lookups = no
log {
	destination = files
	file = \${logdir}/radius.log
	auth = no
}
security {
	max_attributes = 200
	reject_delay = 0
	status_server = yes
	allow_vulnerable_openssl = yes
}
${parts.threadPool ?? ''}
${clients}
modules {
${parts.modules}
}
${parts.servers}
`,
  );
}

/** Starts FreeRADIUS in the foreground on `dir` (`args` such as -t); resolves once it says it is ready. */
export async function runFreeradius(dir: string, args: string[] = []): Promise<ChildProcess> {
  const proc = spawn(FREERADIUS, ['-f', '-d', dir, ...args], { stdio: 'ignore' });
  const log = join(dir, 'log', 'radius.log');
  const deadline = Date.now() + 15_000;
  while (!(existsSync(log) && readFileSync(log, 'utf8').includes('Ready to process requests'))) {
    if (proc.exitCode !== null)
      throw new Error(`FreeRADIUS exited: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('FreeRADIUS did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

/** Stops it (SIGTERM) and resolves once it exited. */
export function stopFreeradius(proc: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}
