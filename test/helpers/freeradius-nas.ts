/**
 * A NAS stand-in that receives CoA and Disconnect requests: a throw-away FreeRADIUS with a `listen { type = coa }`
 * virtual server. It validates what arrives (authenticators, Message-Authenticator, the dictionary), writes each
 * request to a detail file that `received()` reads back, and answers ACK, or NAK with Error-Cause for the usernames
 * listed in `nakUsers` (to exercise the vendor profile's fallback).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { NasInput } from '../../daemon/model/nas.ts';
import { freePort, tmpDir } from './env.ts';
import { runFreeradius, stopFreeradius, writeFreeradiusConfig } from './freeradius.ts';

export interface ReceivedPacket {
  type: string;
  attributes: Record<string, string>;
}

export interface NasStandIn {
  port: number;
  received(): ReceivedPacket[];
  /** A NAS record for wispd whose CoA and Disconnect go to this stand-in. */
  nas(name: string, address: string, vendor?: string): NasInput;
}

export async function startNasStandIn(t: Test, opts: { secret: string; nakUsers?: string[] }): Promise<NasStandIn> {
  const dir = tmpDir(t, 'wispd-nas-');
  const port = await freePort();
  const naks = (opts.nakUsers ?? []).map((u) => `&User-Name == "${u}"`).join(' || ') || 'false';
  writeFreeradiusConfig(dir, {
    clients: [{ name: 'wispd', ipaddr: '127.0.0.0/8', secret: opts.secret }],
    modules: `	always reject {
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
	}`,
    servers: `listen {
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
}`,
  });
  const proc = await runFreeradius(dir);
  t.teardown(() => stopFreeradius(proc));
  return {
    port,
    nas: (name, address, vendor = 'mikrotik') => ({ name, address, secret: opts.secret, vendor, coaPort: port }),
    received() {
      const file = join(dir, 'received');
      if (!existsSync(file)) return [];
      // A record is complete once its blank line is written: one still being written is read next time.
      const text = readFileSync(file, 'utf8');
      return text
        .slice(0, text.lastIndexOf('\n\n') + 1)
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
