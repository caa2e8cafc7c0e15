// The retransmission cache: same NAS, port, identifier and authenticator within the window → the same reply.
import t from 'tap';
import { DuplicateCache } from '../../daemon/radius/listener/duplicates.ts';

const request = (id: number, auth: number) => {
  const b = Buffer.alloc(20);
  b[1] = id;
  b.writeUInt32BE(auth, 4);
  return b;
};

t.test('a retransmission is recognised, a new request is not', async (t) => {
  const cache = new DuplicateCache(1000, 10);
  const req = request(7, 0xabcdef01);
  const key = DuplicateCache.key(3, 5000, req);
  t.same(cache.check(key, req), { kind: 'new' });
  cache.begin(key, req);
  t.same(cache.check(key, Buffer.from(req)), { kind: 'in-progress' }, 'a copy while the first is processed');
  const reply = Buffer.from('reply');
  cache.finish(key, req, reply);
  t.same(cache.check(key, Buffer.from(req)), { kind: 'replied', reply });
  t.same(cache.check(key, request(7, 0xabcdef02)), { kind: 'new' }, 'same id, another authenticator: a new request');
  t.same(cache.check(DuplicateCache.key(3, 5001, req), req), { kind: 'new' }, 'another source port');
  t.same(cache.check(DuplicateCache.key(4, 5000, req), req), { kind: 'new' }, 'another NAS');
  t.equal(cache.size, 1);
});

t.test('no reply forgets the request, so that the retry is processed', async (t) => {
  const cache = new DuplicateCache(1000, 10);
  const req = request(1, 1);
  const key = DuplicateCache.key(1, 1, req);
  cache.begin(key, req);
  cache.finish(key, req, null);
  t.same(cache.check(key, req), { kind: 'new' });
});

t.test('entries expire after the window', async (t) => {
  const cache = new DuplicateCache(50, 10);
  const req = request(2, 2);
  const key = DuplicateCache.key(1, 1, req);
  cache.finish(key, req, Buffer.from('x'));
  t.equal(cache.check(key, req).kind, 'replied');
  await new Promise((r) => setTimeout(r, 80));
  t.equal(cache.check(key, req).kind, 'new');
});

t.test('a full table overwrites its oldest entries, never grows', async (t) => {
  const cache = new DuplicateCache(60_000, 8);
  for (let i = 0; i < 5000; i++) {
    const req = request(i & 255, i);
    cache.finish(DuplicateCache.key(1, i >> 8, req), req, Buffer.from([1]));
  }
  t.ok(cache.size <= 256, `${cache.size} entries in 256 slots`);
  const last = request(4999 & 255, 4999);
  t.equal(cache.check(DuplicateCache.key(1, 4999 >> 8, last), last).kind, 'replied', 'the newest is there');
});

t.test('replies live in a ring: an overwritten one is forgotten, never returned wrong', async (t) => {
  const cache = new DuplicateCache(60_000, 10, 64);
  const a = request(1, 1);
  const b = request(2, 2);
  const ka = DuplicateCache.key(1, 1, a);
  const kb = DuplicateCache.key(1, 1, b);
  cache.finish(ka, a, Buffer.alloc(10, 0xaa));
  t.same(cache.check(ka, a), { kind: 'replied', reply: Buffer.alloc(10, 0xaa) });
  cache.finish(kb, b, Buffer.alloc(16, 0xbb));
  for (let i = 0; i < 5; i++) {
    const r = request(3, 100 + i);
    cache.finish(DuplicateCache.key(1, 2, r), r, Buffer.alloc(12, i));
  }
  t.same(cache.check(ka, a), { kind: 'new' }, 'overwritten in the ring: treated as new, not a wrong reply');
  const last = request(3, 104);
  t.same(cache.check(DuplicateCache.key(1, 2, last), last), { kind: 'replied', reply: Buffer.alloc(12, 4) });
});
