/**
 * A NAS stand-in that receives CoA and Disconnect requests: a throw-away FreeRADIUS with a `listen { type = coa }`
 * virtual server. It validates what arrives (authenticators, Message-Authenticator, the dictionary), writes each
 * request to a detail file that `received()` reads back, and answers ACK, or NAK with Error-Cause for the usernames
 * listed in `nakUsers` (to exercise the vendor profile's fallback).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { freePort, tmpDir } from './env.ts';

export interface ReceivedPacket {
  type: string;
  attributes: Record<string, string>;
}

export interface NasStandIn {
  port: number;
  received(): ReceivedPacket[];
}

export const FREERADIUS = ['/usr/sbin/freeradius', '/usr/sbin/radiusd'].find((p) => existsSync(p)) ?? 'freeradius';

export async function startNasStandIn(t: Test, opts: { secret: string; nakUsers?: string[] }): Promise<NasStandIn> {
  const dir = tmpDir(t, 'wispd-nas-');
  for (const d of ['log', 'run']) mkdirSync(join(dir, d));
  const port = await freePort();
  const naks = (opts.nakUsers ?? []).map((u) => `&User-Name == "${u}"`).join(' || ') || 'false';
  writeFileSync(join(dir, 'dictionary'), '$INCLUDE /usr/share/freeradius/dictionary\n');
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
run_dir = ${dir}/run
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
	destination = files
	file = \${logdir}/radius.log
}
security {
	allow_vulnerable_openssl = yes
}
client wispd {
	ipaddr = 127.0.0.0/8
	secret = ${opts.secret}
}
modules {
	always reject {
		rcode = reject
	}
	always ok {
		rcode = ok
	}
	detail received {
		filename = ${dir}/received
		permissions = 0600
		header = "%{Packet-Type}"
		locking = no
	}
}
listen {
	type = coa
	ipaddr = *
	port = ${port}
	virtual_server = nas
}
server nas {
	# FreeRADIUS 3 runs both CoA-Request and Disconnect-Request through recv-coa; only CoA-Requests are refused here.
	recv-coa {
		received
		if ((&Packet-Type == CoA-Request) && (${naks})) {
			update reply {
				Error-Cause := Unsupported-Service
			}
			reject
		}
		ok
	}
	send-coa {
		ok
	}
}
`,
  );
  const proc = spawn(FREERADIUS, ['-f', '-d', dir], { stdio: 'ignore' });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  );
  const log = join(dir, 'log', 'radius.log');
  const deadline = Date.now() + 15_000;
  while (!(existsSync(log) && readFileSync(log, 'utf8').includes('Ready to process requests'))) {
    if (proc.exitCode !== null)
      throw new Error(`FreeRADIUS exited: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    if (Date.now() > deadline) throw new Error('FreeRADIUS did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    received() {
      const file = join(dir, 'received');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split(/\n\n+/)
        .filter((b) => b.trim())
        .map((block) => {
          const [type, ...lines] = block.trim().split('\n');
          const attributes: Record<string, string> = {};
          for (const line of lines) {
            const m = /^\s+(\S+) = (.*)$/.exec(line);
            if (m) attributes[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
          }
          return { type: type!.trim(), attributes };
        });
    },
  };
}
