/** The RADIUS codec: dictionaries, packets, authenticators, password methods. Pure functions, no I/O per packet. */
export * from './attributes.ts';
export * from './chap.ts';
export * from './crypto.ts';
export * from './dictionary.ts';
export * from './mschap.ts';
export * from './packet.ts';
