// One load-generator process for bench/radius.bench.ts: sends RADIUS requests at a fixed rate for a while and reports
// what came back, with a latency histogram. Each request is built fresh (its own authenticator), as a NAS does: a
// retransmission cache must not make a server look faster than it is.
// Run by the bench (a JSON job on argv[2]); prints one JSON line with its counts and histogram.
import { createSocket, type Socket } from 'node:dgram';
import {
  Attr,
  attr,
  Code,
  chapResponse,
  type NtHashes,
  ntHashes,
  ntResponse,
  PacketCrypto,
  randomAuthenticator,
  u32,
  vsa,
} from '../daemon/radius/codec/index.ts';
import { BUCKET_US, BUCKETS, type Job, type LoadResult } from './radius-shared.ts';

/** The generator's own, as a NAS has its own: no allocation per request for the authenticators. */
const packets = new PacketCrypto();

const job = JSON.parse(process.argv[2]!) as Job;
const secret = Buffer.from(job.secret);
const hashes: NtHashes[] = [];
if (job.mode === 'mschapv2') for (let i = 0; i < job.count; i++) hashes.push(ntHashes(`pw-${job.first + i}`));

const nasAttrs = [
  attr(Attr.NasIpAddress, Buffer.from([127, 0, 0, 1])),
  attr(Attr.NasPortType, u32(15)),
  attr(Attr.ServiceType, u32(2)),
  attr(Attr.FramedProtocol, u32(1)),
  attr(Attr.CalledStationId, Buffer.from('bras-bench')),
  attr(Attr.NasIdentifier, Buffer.from('bench-nas')),
];

let counter = 0;
function packet(id: number): Buffer {
  const i = counter++ % job.count;
  const n = job.first + i;
  const user = Buffer.from(`user${n}`);
  const password = Buffer.from(`pw-${n}`);
  const common = [
    attr(Attr.UserName, user),
    attr(Attr.NasPort, u32(n)),
    attr(Attr.CallingStationId, Buffer.from(`02:00:00:${(n >> 16) & 255}:${(n >> 8) & 255}:${n & 255}`)),
    ...nasAttrs,
  ];
  if (job.mode === 'acct') {
    const seconds = 60 + (counter % 100_000);
    return packets.buildRequest(
      Code.AccountingRequest,
      id,
      [
        ...common,
        attr(Attr.AcctStatusType, u32(3)),
        attr(Attr.AcctSessionId, Buffer.from(`s-${n}`)),
        attr(Attr.AcctSessionTime, u32(seconds)),
        attr(Attr.AcctInputOctets, u32(seconds * 1000)),
        attr(Attr.AcctOutputOctets, u32(seconds * 9000)),
        attr(Attr.FramedIpAddress, Buffer.from([100, 64, (n >> 8) & 255, n & 255])),
      ],
      secret,
    );
  }
  const authenticator = randomAuthenticator();
  let method: Buffer[];
  if (job.mode === 'pap') method = [attr(Attr.UserPassword, packets.hidePassword(password, secret, authenticator))];
  else if (job.mode === 'chap') {
    const challenge = randomAuthenticator();
    method = [attr(Attr.ChapPassword, chapResponse(id, password, challenge)), attr(Attr.ChapChallenge, challenge)];
  } else {
    const authChallenge = randomAuthenticator();
    const peerChallenge = randomAuthenticator();
    const nt = ntResponse(authChallenge, peerChallenge, `user${n}`, hashes[i]!);
    method = [
      vsa(311, 11, authChallenge),
      vsa(311, 25, Buffer.concat([Buffer.from([id & 255, 0]), peerChallenge, Buffer.alloc(8), nt])),
    ];
  }
  return packets.buildRequest(Code.AccessRequest, id, [...common, ...method], secret, {
    authenticator,
    messageAuthenticator: true,
  });
}

interface Slot {
  socket: Socket;
  sentAt: Float64Array;
  free: number[];
}

const result: LoadResult = { sent: 0, received: 0, lost: 0, skipped: 0, histogram: new Array(BUCKETS + 1).fill(0) };
const slots: Slot[] = [];
for (let s = 0; s < job.sockets; s++) {
  const socket = createSocket('udp4');
  const slot: Slot = { socket, sentAt: new Float64Array(256), free: Array.from({ length: 256 }, (_, i) => 255 - i) };
  socket.on('message', (msg) => {
    const id = msg[1]!;
    const at = slot.sentAt[id]!;
    if (at === 0) return;
    const us = (performance.now() - at) * 1000;
    result.histogram[Math.min(BUCKETS, Math.floor(us / BUCKET_US))]!++;
    result.received++;
    slot.sentAt[id] = 0;
    slot.free.push(id);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setSendBufferSize(4 << 20);
  socket.setRecvBufferSize(4 << 20);
  slots.push(slot);
}

const start = performance.now();
const end = start + job.seconds * 1000;
let due = 0;
let next = 0;
let lastSweep = start;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    // Requests unanswered for a second are lost; their identifiers are free again.
    if (now - lastSweep > 50) {
      lastSweep = now;
      for (const slot of slots) {
        for (let id = 0; id < 256; id++) {
          const at = slot.sentAt[id]!;
          if (at !== 0 && now - at > 1000) {
            slot.sentAt[id] = 0;
            slot.free.push(id);
            result.lost++;
          }
        }
      }
    }
    if (now >= end) return resolve();
    due = ((now - start) / 1000) * job.rps - result.sent - result.skipped;
    while (due >= 1) {
      const slot = slots[next++ % slots.length]!;
      const id = slot.free.pop();
      due--;
      if (id === undefined) {
        result.skipped++;
        continue;
      }
      slot.sentAt[id] = performance.now();
      slot.socket.send(packet(id), job.port, '127.0.0.1');
      result.sent++;
    }
    setTimeout(tick, 1);
  };
  tick();
});
// Let the last replies arrive.
await new Promise((r) => setTimeout(r, 300));
for (const slot of slots) {
  for (let id = 0; id < 256; id++) if (slot.sentAt[id] !== 0) result.lost++;
  slot.socket.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
