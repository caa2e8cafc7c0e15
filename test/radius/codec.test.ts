// The RADIUS codec against the RFCs' own vectors (RFC 2865 §7, RFC 2759 §9.2, RFC 3079 §3.5.3, RFC 1320 §A.5) and a
// table of malformed datagrams; one source of vectors (test/vectors/radius) for the tests and the load generator.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import {
  AttrIndex,
  asymmetricStartKey,
  attr,
  attributeMap,
  authenticatorResponse,
  buildReply,
  buildRequest,
  Code,
  challengeHash,
  chapResponse,
  chapValid,
  decodePacket,
  decodeValue,
  desEncrypt,
  encodeAttributes,
  encodeValue,
  hidePassword,
  loadDictionary,
  loadStandardDictionary,
  malformed,
  masterKey,
  messageAuthenticatorValid,
  mppeKeys,
  ntHashes,
  ntResponse,
  requestAuthenticatorValid,
  responseAuthenticatorValid,
  saltDecrypt,
  saltEncrypt,
  unhidePassword,
  vsa,
} from '../../daemon/radius/codec/index.ts';
import { md4 } from '../../daemon/radius/codec/md4.ts';
import { tmpDir } from '../helpers/env.ts';
import { hex, parseAttributes, readVectors } from '../helpers/vectors.ts';

const dict = loadStandardDictionary();

t.test('the dictionaries', async (t) => {
  for (const [name, vendor, type] of [
    ['User-Password', 0, 2],
    ['Message-Authenticator', 0, 80],
    ['Acct-Input-Gigawords', 0, 52],
    ['Error-Cause', 0, 101],
    ['Mikrotik-Rate-Limit', 14988, 8],
    ['Cisco-AVPair', 9, 1],
    ['Juniper-Local-User-Name', 2636, 1],
    ['ERX-Service-Activate', 4874, 65],
    ['MS-CHAP2-Response', 311, 25],
    ['MS-MPPE-Recv-Key', 311, 17],
    ['WISPr-Bandwidth-Max-Down', 14122, 8],
  ] as const) {
    t.match(dict.byName(name), { vendor, type }, name);
    t.equal(dict.byCode(vendor, type)?.name, name);
  }
  t.equal(dict.byName('acct-status-type')?.values.get('Interim-Update'), 3, 'names are case-insensitive; VALUEs load');
  t.equal(dict.vendorId('Mikrotik'), 14988);
  t.throws(() => dict.require('No-Such-Attribute'), { name: 'DictionaryError', message: /No-Such-Attribute/ });

  const dir = tmpDir(t);
  writeFileSync(`${dir}/dictionary.bad`, 'VENDOR Acme 99999\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Speed 1 speedtype\n');
  t.throws(() => loadDictionary([`${dir}/dictionary.bad`]), { message: /dictionary\.bad:3: unknown type speedtype/ });
  writeFileSync(
    `${dir}/dictionary.acme`,
    'VENDOR Acme 99999\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Speed 1 integer\nEND-VENDOR Acme\n',
  );
  const extended = loadStandardDictionary([`${dir}/dictionary.acme`]);
  t.match(extended.byName('Acme-Speed'), { vendor: 99999, type: 1 }, 'a site dictionary adds a vendor');
});

const vectors = readVectors('radius/rfc.txt');
const byName = new Map(vectors.map((v) => [v.name!, v]));

t.test('RFC and wispd vectors', async (t) => {
  t.ok(vectors.length >= 4);
  for (const v of vectors) {
    t.test(v.name!, async (t) => {
      const secret = v.secret ? Buffer.from(v.secret) : undefined;
      const request = v.request ? hex(byName.get(v.request)!.packet!) : undefined;
      const expected = parseAttributes(v.attributes!);
      const ctx = { secret, authenticator: request?.subarray(4, 20) };

      if (request) {
        // A reply: build it from the attributes and compare the bytes.
        const body = encodeAttributes(dict, expected, ctx);
        const reply = buildReply(Code.AccessAccept, request, [body], secret!, {
          messageAuthenticator: v['message-authenticator'] === 'yes',
        });
        if (v.packet) t.same(reply.toString('hex'), hex(v.packet).toString('hex'), 'built byte for byte');
        t.ok(responseAuthenticatorValid(reply, request.subarray(4, 20), secret!), 'Response Authenticator valid');
        if (v['message-authenticator'] === 'yes') {
          t.equal(reply[20], 80, 'Message-Authenticator comes first');
          t.ok(messageAuthenticatorValid(reply, 20, secret!, request.subarray(4, 20)), 'Message-Authenticator valid');
        }
      }
      const packet = v.packet ? hex(v.packet) : undefined;
      if (!packet) return;
      t.equal(malformed(packet), undefined, 'well-formed');
      const decoded = decodePacket(dict, packet, ctx);
      t.same(
        decoded.attributes.map((a) => a.name),
        expected.map(([n]) => n),
        'the attributes, in order',
      );
      for (const [name, value] of expected) {
        const def = dict.require(name);
        const want = decodeValue(def, encodeValue(def, value));
        const got = attributeMap(decoded)[name];
        t.same(
          Buffer.isBuffer(got) ? got.toString('hex') : got,
          Buffer.isBuffer(want) ? want.toString('hex') : want,
          name,
        );
      }
      if (packet[0] === Code.AccessRequest) {
        // Re-encoding with the packet's authenticator gives the same bytes.
        const body = encodeAttributes(dict, expected, { secret, authenticator: packet.subarray(4, 20) });
        if (secret)
          t.same(Buffer.concat([packet.subarray(0, 20), body]).toString('hex'), packet.toString('hex'), 're-encoded');
      }
    });
  }
});

t.test('malformed datagrams', async (t) => {
  const cases = readVectors('radius/malformed.txt');
  t.ok(cases.length >= 9);
  for (const c of cases) {
    t.equal(malformed(hex(c.packet ?? '')) ?? 'none', c.error, String(c.name));
  }
});

t.test('User-Password hiding (RFC 2865 §5.2)', async (t) => {
  const secret = Buffer.from('xyzzy5461');
  const auth = hex('0f403f9473978057bd83d5cb98f4227a');
  t.equal(hidePassword(Buffer.from('arctangent'), secret, auth).toString('hex'), '0dbe708d93d413ce3196e43f782a0aee');
  for (const length of [1, 15, 16, 17, 31, 32, 33, 100, 128]) {
    const pw = Buffer.alloc(length, 0x61 + (length % 26));
    const hidden = hidePassword(pw, secret, auth);
    t.equal(hidden.length % 16, 0);
    t.same(unhidePassword(hidden, secret, auth), pw, `${length} octets round-trip`);
  }
  t.equal(unhidePassword(Buffer.alloc(15), secret, auth), undefined, 'not a multiple of 16');
  t.equal(unhidePassword(Buffer.alloc(144), secret, auth), undefined, 'longer than 128');
});

t.test('salt encryption (RFC 2548 §2.4.2) round-trips', async (t) => {
  const secret = Buffer.from('s3cret');
  const auth = hex('00112233445566778899aabbccddeeff');
  const key = hex('8b7cdc149b993a1ba118cb153f56dccb');
  const enc = saltEncrypt(key, secret, auth, Buffer.from([0x01, 0x02]));
  t.equal(enc[0]! & 0x80, 0x80, 'the salt has its high bit set');
  t.equal(enc.length, 2 + 32, 'salt + length octet + key, padded to 32');
  t.same(saltDecrypt(enc, secret, auth), key);
  t.not(
    saltDecrypt(enc, Buffer.from('other'), auth)?.toString('hex'),
    key.toString('hex'),
    'another secret gets garbage',
  );
});

t.test('MD4 (RFC 1320 §A.5)', async (t) => {
  for (const [input, digest] of [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ]) {
    t.equal(md4(Buffer.from(input!)).toString('hex'), digest, JSON.stringify(input));
  }
});

t.test('DES', async (t) => {
  // The classic worked example (FIPS 46 walk-throughs): key 133457799BBCDFF1 with parity bits.
  const block = hex('0123456789abcdef');
  // The 7-octet form of 133457799BBCDFF1 (parity bits dropped): derived once, checked by encrypting.
  const bits = BigInt('0x133457799BBCDFF1');
  let k7 = 0n;
  for (let i = 7; i >= 0; i--) k7 = (k7 << 7n) | ((bits >> BigInt(i * 8 + 1)) & 0x7fn);
  t.equal(desEncrypt(block, hex(k7.toString(16).padStart(14, '0'))).toString('hex'), '85e813540f0ab405');
});

t.test('MS-CHAPv2 (RFC 2759 §9.2) and MPPE keys (RFC 3079 §3.5.3)', async (t) => {
  const authChallenge = hex('5B5D7C7D7B3F2F3E3C2C602132262628');
  const peerChallenge = hex('21402324255E262A28295F2B3A337C7E');
  const hashes = ntHashes('clientPass');
  t.equal(hashes.hash.toString('hex').toUpperCase(), '44EBBA8D5312B8D611474411F56989AE', 'PasswordHash');
  t.equal(hashes.hashHash.toString('hex').toUpperCase(), '41C00C584BD2D91C4017A2A12FA59F3F', 'PasswordHashHash');
  t.equal(
    challengeHash(peerChallenge, authChallenge, 'User').toString('hex').toUpperCase(),
    'D02E4386BCE91226',
    'Challenge',
  );
  const nt = ntResponse(authChallenge, peerChallenge, 'User', hashes);
  t.equal(nt.toString('hex').toUpperCase(), '82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF', 'NT-Response');
  t.equal(
    authenticatorResponse(hashes, nt, peerChallenge, authChallenge, 'User'),
    'S=407A5589115FD0D6209F510FE9C04566932CDA56',
    'AuthenticatorResponse',
  );
  t.equal(
    challengeHash(peerChallenge, authChallenge, 'DOMAIN\\User').toString('hex').toUpperCase(),
    'D02E4386BCE91226',
    'the domain is not hashed',
  );
  const master = masterKey(hashes, nt);
  t.equal(master.toString('hex').toUpperCase(), 'FDECE3717A8C838CB388E527AE3CDD31', 'MasterKey');
  t.equal(
    asymmetricStartKey(master, true, true).toString('hex').toUpperCase(),
    '8B7CDC149B993A1BA118CB153F56DCCB',
    'SendStartKey128',
  );
  const keys = mppeKeys(hashes, nt);
  t.equal(
    keys.send.toString('hex').toUpperCase(),
    '8B7CDC149B993A1BA118CB153F56DCCB',
    'the server sends with the send key',
  );
  t.equal(keys.recv.toString('hex').toUpperCase(), 'D5F0E9521E3EA9589645E86051C82226');
});

t.test('CHAP (RFC 1994 §4.1)', async (t) => {
  const challenge = hex('000102030405060708090a0b0c0d0e0f');
  const response = chapResponse(7, Buffer.from('secret-pw'), challenge);
  t.ok(chapValid(response, Buffer.from('secret-pw'), challenge));
  t.notOk(chapValid(response, Buffer.from('wrong-pw'), challenge));
  t.notOk(chapValid(response.subarray(0, 16), Buffer.from('secret-pw'), challenge), 'a short CHAP-Password');
});

t.test('request authenticators and Message-Authenticator', async (t) => {
  const secret = Buffer.from('testing123');
  const body = [attr(1, Buffer.from('alice')), attr(40, Buffer.from([0, 0, 0, 1]))];
  for (const code of [Code.AccountingRequest, Code.CoaRequest, Code.DisconnectRequest]) {
    const pkt = buildRequest(code, 9, body, secret, { messageAuthenticator: true });
    t.ok(requestAuthenticatorValid(pkt, secret), `code ${code}: request authenticator`);
    t.ok(messageAuthenticatorValid(pkt, 20, secret, 'zero'), `code ${code}: Message-Authenticator over a zero header`);
    t.notOk(requestAuthenticatorValid(pkt, Buffer.from('other')), 'another secret fails');
    const tampered = Buffer.from(pkt);
    tampered[tampered.length - 1]! ^= 1;
    t.notOk(requestAuthenticatorValid(tampered, secret), 'a changed octet fails');
  }
  const auth = hex('0f403f9473978057bd83d5cb98f4227a');
  const access = buildRequest(Code.AccessRequest, 1, body, secret, { authenticator: auth });
  t.equal(access[20], 80, 'an Access-Request carries a Message-Authenticator first');
  t.ok(messageAuthenticatorValid(access, 20, secret));
  t.notOk(messageAuthenticatorValid(access, 20, Buffer.from('x')));
  t.same(access.subarray(4, 20), auth, 'the random authenticator is kept');
});

t.test('AttrIndex reads in place', async (t) => {
  const pkt = buildRequest(
    Code.AccessRequest,
    3,
    [
      attr(1, Buffer.from('bob')),
      attr(4, Buffer.from([10, 0, 0, 1])),
      attr(5, Buffer.from([0, 0, 1, 0])),
      vsa(311, 11, Buffer.alloc(16, 7)),
      vsa(14988, 8, Buffer.from('1M/2M')),
      attr(1, Buffer.from('second')),
    ],
    Buffer.from('s'),
    { authenticator: Buffer.alloc(16, 1) },
  );
  const ix = new AttrIndex().scan(pkt);
  t.equal(ix.string(1), 'bob', 'the first of repeated attributes');
  t.equal(ix.ipaddr(4), '10.0.0.1');
  t.equal(ix.integer(5), 256);
  t.equal(ix.string(31), undefined);
  t.same(ix.vendor(311, 11), { offset: pkt.indexOf(Buffer.alloc(16, 7)), length: 16 });
  t.equal(ix.vendor(311, 25), undefined);
  const rate = ix.vendor(14988, 8)!;
  t.equal(pkt.toString('utf8', rate.offset, rate.offset + rate.length), '1M/2M');
  ix.scan(
    buildRequest(Code.AccessRequest, 4, [attr(31, Buffer.from('aa:bb'))], Buffer.from('s'), {
      authenticator: Buffer.alloc(16),
    }),
  );
  t.equal(ix.string(1), undefined, 'nothing leaks from the previous packet');
  t.equal(ix.string(31), 'aa:bb');
});

t.test('MD5 (RFC 1321 §A.5) and HMAC-MD5 (RFC 2202 §2) on the packet path', async (t) => {
  const { createHash, createHmac, randomBytes } = await import('node:crypto');
  const { HmacMd5, Md5 } = await import('../../daemon/radius/codec/md5.ts');
  const out = Buffer.alloc(16);
  const md5 = new Md5();
  const md5Into = (o: Buffer, at: number, ...parts: Buffer[]) => {
    md5.reset();
    for (const p of parts) md5.update(p);
    md5.digestInto(o, at);
  };
  for (const [input, digest] of [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
  ]) {
    md5Into(out, 0, Buffer.from(input!));
    t.equal(out.toString('hex'), digest, JSON.stringify(input));
  }
  for (const [key, data, mac] of [
    [Buffer.alloc(16, 0x0b), Buffer.from('Hi There'), '9294727a3638bb1c13f48ef8158bfc9d'],
    [Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'), '750c783e6ab0b503eaa86e310a5db738'],
    [
      Buffer.alloc(80, 0xaa),
      Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
      '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd',
    ],
  ] as const) {
    new HmacMd5(key).macInto(out, 0, data);
    t.equal(out.toString('hex'), mac);
  }
  let mismatches = 0;
  for (let i = 0; i < 500; i++) {
    const a = randomBytes(i % 300);
    const b = randomBytes(i % 70);
    const key = randomBytes((i % 90) + 1);
    md5Into(out, 0, a, b);
    if (!out.equals(createHash('md5').update(a).update(b).digest())) mismatches++;
    new HmacMd5(key).macInto(out, 0, a);
    if (!out.equals(createHmac('md5', key).update(a).digest())) mismatches++;
  }
  t.equal(mismatches, 0, 'agrees with OpenSSL on 1000 random inputs and keys');
});

t.test('RFC corner cases: tags, empty values, binary strings, invalid values', async (t) => {
  const secret = Buffer.from('xyzzy5461');
  const authenticator = Buffer.alloc(16, 7);
  const decoded = (attrs: Buffer) =>
    decodePacket(dict, buildRequest(Code.AccountingRequest, 1, [attrs], secret)).attributes;

  // RFC 2868 §3.5: "Tag ... Salt ... String", always, a Tag of 0x00 when unused.
  const untagged = encodeAttributes(dict, [['Tunnel-Password', 'tunnel-pw']], { secret, authenticator });
  t.equal(untagged[2], 0x00, 'Tunnel-Password without a tag: a 0x00 Tag octet first');
  t.ok((untagged[3]! & 0x80) !== 0, 'then the Salt, its high bit set (§3.5)');
  t.equal((untagged.length - 2 - 1 - 2) % 16, 0, 'then the String, in 16-octet blocks');
  const tp = decodePacket(dict, Buffer.concat([buildRequest(Code.AccountingRequest, 1, [untagged], secret)]), {
    secret,
    authenticator,
  }).attributes[0]!;
  t.match(tp, { name: 'Tunnel-Password', tag: 0 });
  t.equal(String(tp.value).replace(/\0+$/, ''), 'tunnel-pw', 'and reads back');

  // RFC 2865 §5: "Length ... at least 3".
  t.throws(() => encodeAttributes(dict, [['Reply-Message', '']]), /cannot be empty/, 'no zero-length attribute');

  // RFC 2868 §3.1: the tag takes an integer's top octet.
  t.throws(() => encodeAttributes(dict, [['Tunnel-Type', 0x01000000, 1]]), /24 bits/, 'a tagged integer over 24 bits');
  t.same([...encodeAttributes(dict, [['Tunnel-Type', 'L2TP', 5]])], [64, 6, 5, 0, 0, 3]);
  // An untagged value of a tagged string type whose first octet is 0x01-0x1F would read back as tagged.
  const vlan = encodeAttributes(dict, [['Tunnel-Private-Group-Id', '\u000510']]);
  t.same([...vlan], [81, 6, 0, 5, 0x31, 0x30], 'a 0x00 Tag octet before it');
  t.match(decoded(vlan)[0], { tag: 0, value: '\u000510' }, 'and it reads back as it was');
  t.same([...encodeAttributes(dict, [['Tunnel-Private-Group-Id', '100']])], [81, 5, 0x31, 0x30, 0x30], 'no tag needed');

  // RFC 2865 §5: "string" may be binary: octets that are not UTF-8 are kept.
  const def = dict.byName('Reply-Message')!;
  const binary = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
  t.same(decodeValue(def, binary), binary, 'not UTF-8: the octets, not U+FFFD');
  t.equal(decodeValue(def, Buffer.from('héllo')), 'héllo', 'UTF-8: the text');

  // RFC 3162 §2.3: Length 4 to 20, Prefix-Length at most 128. RFC 2868 §3.1: a tag is 0x00 to 0x1F.
  const bad = decoded(
    Buffer.concat([
      attr(97, Buffer.concat([Buffer.from([0, 64]), Buffer.alloc(19)])),
      attr(97, Buffer.from([0, 129, 0x20, 0x01])),
      attr(64, Buffer.from([0x20, 0, 0, 3])),
    ]),
  );
  t.match(bad[0], { name: 'Framed-IPv6-Prefix', invalid: /21 octets/, value: Buffer }, 'too long: raw, marked');
  t.match(bad[1], { name: 'Framed-IPv6-Prefix', invalid: /prefix length 129/ });
  t.match(bad[2], { name: 'Tunnel-Type', invalid: /tag 0x20/ });
  const good = decoded(attr(97, Buffer.from([0, 32, 0x20, 0x01, 0x0d, 0xb8])));
  t.match(good[0], { name: 'Framed-IPv6-Prefix', value: '2001:db8::/32' });
  t.notOk('invalid' in good[0]!);
});
