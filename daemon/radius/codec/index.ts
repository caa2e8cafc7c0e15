/** The RADIUS codec: dictionaries, packets, authenticators, password methods. No I/O. */
export * from './attributes.ts';
export * from './chap.ts';
export * from './crypto.ts';
export * from './dictionary.ts';
export * from './mschap.ts';
export * from './packet.ts';
export * from './packet-crypto.ts';
