/**
 * MS-CHAPv2 (RFC 2759) and its MPPE keys (RFC 3079), on the authenticator's side. The password-derived hashes are
 * computed when a password is loaded (`ntHashes`), so a request costs three DES blocks and a few SHA-1.
 */
import type { Cipher } from 'node:crypto';
import { desCipher, sha1 } from './crypto.ts';
import { md4 } from './md4.ts';

export interface NtHashes {
  /** NtPasswordHash: MD4 of the UTF-16LE password (§8.3). */
  hash: Buffer;
  /** HashNtPasswordHash: MD4 of the hash (§8.4). */
  hashHash: Buffer;
  /** The three DES keys of §8.5 as ready ciphers, made on first use and kept (they only depend on the hash). */
  des?: [Cipher, Cipher, Cipher];
}

export function ntHashes(password: string): NtHashes {
  const hash = md4(Buffer.from(password, 'utf16le'));
  return { hash, hashHash: md4(hash) };
}

/** §8.2 ChallengeHash: the first 8 octets of SHA1(PeerChallenge + AuthenticatorChallenge + UserName). */
export function challengeHash(peerChallenge: Uint8Array, authChallenge: Uint8Array, userName: string): Buffer {
  // §8.2: the user name without any domain prefix ("DOMAIN\user" → "user").
  const bare = userName.includes('\\') ? userName.slice(userName.lastIndexOf('\\') + 1) : userName;
  return sha1(peerChallenge, authChallenge, Buffer.from(bare, 'utf8')).subarray(0, 8);
}

/** §8.5 ChallengeResponse: DES of the challenge under the three 7-octet slices of the zero-padded hash. */
export function challengeResponse(challenge: Uint8Array, hashes: NtHashes): Buffer {
  if (!hashes.des) {
    const z = Buffer.alloc(21);
    z.set(hashes.hash);
    hashes.des = [desCipher(z.subarray(0, 7)), desCipher(z.subarray(7, 14)), desCipher(z.subarray(14, 21))];
  }
  // ECB without padding: each update turns one block into one block, so a cipher serves every request.
  return Buffer.concat([
    hashes.des[0].update(challenge),
    hashes.des[1].update(challenge),
    hashes.des[2].update(challenge),
  ]);
}

/** §8.1 GenerateNTResponse. */
export function ntResponse(authChallenge: Uint8Array, peerChallenge: Uint8Array, userName: string, hashes: NtHashes) {
  return challengeResponse(challengeHash(peerChallenge, authChallenge, userName), hashes);
}

const MAGIC1 = Buffer.from('Magic server to client signing constant', 'ascii');
const MAGIC2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');

/** §8.7 GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits. */
export function authenticatorResponse(
  hashes: NtHashes,
  ntResp: Uint8Array,
  peerChallenge: Uint8Array,
  authChallenge: Uint8Array,
  userName: string,
): string {
  return authenticatorResponseFor(hashes, ntResp, challengeHash(peerChallenge, authChallenge, userName));
}

/** §8.7 with the ChallengeHash already computed (the server has it from checking the NT-Response). */
export function authenticatorResponseFor(hashes: NtHashes, ntResp: Uint8Array, challenge: Uint8Array): string {
  const digest = sha1(hashes.hashHash, ntResp, MAGIC1);
  const response = sha1(digest, challenge, MAGIC2);
  return `S=${response.toString('hex').toUpperCase()}`;
}

// RFC 3079 §3.4
const MAGIC_MASTER = Buffer.from('This is the MPPE Master Key', 'ascii');
const MAGIC_SEND = Buffer.from(
  'On the client side, this is the send key; on the server side, it is the receive key.',
  'ascii',
);
const MAGIC_RECV = Buffer.from(
  'On the client side, this is the receive key; on the server side, it is the send key.',
  'ascii',
);
const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);

/** RFC 3079 §3.4 GetMasterKey. */
export function masterKey(hashes: NtHashes, ntResp: Uint8Array): Buffer {
  return sha1(hashes.hashHash, ntResp, MAGIC_MASTER).subarray(0, 16);
}

/** RFC 3079 §3.4 GetAsymmetricStartKey for 128-bit keys. */
export function asymmetricStartKey(master: Uint8Array, isSend: boolean, isServer: boolean): Buffer {
  const magic = isSend === isServer ? MAGIC_RECV : MAGIC_SEND;
  return sha1(master, SHS_PAD1, magic, SHS_PAD2).subarray(0, 16);
}

/** The server's MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 §2.4.2, §2.4.3), before salt encryption. */
export function mppeKeys(hashes: NtHashes, ntResp: Uint8Array): { send: Buffer; recv: Buffer } {
  const master = masterKey(hashes, ntResp);
  return { send: asymmetricStartKey(master, true, true), recv: asymmetricStartKey(master, false, true) };
}
