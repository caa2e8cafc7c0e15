import * as m from './daemon/radius/codec/mschap.ts';
const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hs = m.ntHashes('clientPass');
console.log(hs.hash.toString('hex').toUpperCase() === '44EBBA8D5312B8D611474411F56989AE', hs.hashHash.toString('hex').toUpperCase() === '41C00C584BD2D91C4017A2A12FA59F3F');
const auth = h('5B5D7C7D7B3F2F3E3C2C602132262628'), peer = h('21402324255E262A28295F2B3A337C7E');
console.log(m.challengeHash(peer, auth, 'User').toString('hex').toUpperCase() === 'D02E4386BCE91226');
const nt = m.ntResponse(auth, peer, 'User', hs);
console.log(nt.toString('hex').toUpperCase(), nt.toString('hex').toUpperCase() === '82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF');
console.log(m.authenticatorResponse(hs, nt, peer, auth, 'User'));
// RFC 3079 §3.5.3 (128-bit), password "clientPass", NT-Response as above
console.log(m.masterKey(hs, nt).toString('hex').toUpperCase(), 'FDECE3717A8C838CB388E527AE3CDD31');
console.log(m.asymmetricStartKey(m.masterKey(hs, nt), true, false).toString('hex').toUpperCase(), '8B7CDC149B993A1BA118CB153F56DCCB');
for (const [s, v] of [[true, true], [true, false], [false, true], [false, false]]) console.log(s, v, m.asymmetricStartKey(m.masterKey(hs, nt), s, v).toString('hex').toUpperCase());
