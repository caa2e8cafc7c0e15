// The part of net-snmp (which ships no types) that wispd uses: sessions for polling, agents for simulated devices.
declare module 'net-snmp' {
  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }

  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    backoff?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
    idBitsSize?: 16 | 32;
    context?: string;
  }

  export interface User {
    name: string;
    level: number;
    authProtocol?: string;
    authKey?: string;
    privProtocol?: string;
    privKey?: string;
  }

  export class Session {
    target: string;
    port: number;
    community: string;
    version: number;
    timeout: number;
    retries: number;
    get(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): this;
    getBulk(
      oids: string[],
      nonRepeaters: number,
      maxRepetitions: number,
      cb: (err: Error | null, varbinds: Array<Varbind | Varbind[]>) => void,
    ): this;
    close(): this;
    on(event: 'error' | 'close', fn: (err?: Error) => void): this;
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: User, options?: SessionOptions): Session;
  export function isVarbindError(varbind: Varbind): boolean;
  export function varbindError(varbind: Varbind): string;

  export const Version1: number;
  export const Version2c: number;
  export const Version3: number;
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  export const AuthProtocols: Record<'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', string>;
  export const PrivProtocols: Record<'des' | 'aes' | 'aes256b' | 'aes256r', string>;
  export const ObjectType: Record<
    | 'Boolean'
    | 'Integer'
    | 'Integer32'
    | 'OctetString'
    | 'Null'
    | 'OID'
    | 'IpAddress'
    | 'Counter'
    | 'Counter32'
    | 'Gauge'
    | 'Gauge32'
    | 'TimeTicks'
    | 'Opaque'
    | 'Counter64'
    | 'NoSuchObject'
    | 'NoSuchInstance'
    | 'EndOfMibView',
    number
  >;
  export const MibProviderType: { Scalar: number; Table: number };
  export const MaxAccess: Record<
    'not-accessible' | 'accessible-for-notify' | 'read-only' | 'read-write' | 'read-create',
    number
  >;
  export const AccessControlModelType: { None: number; Simple: number };

  export interface MibProvider {
    name: string;
    type: number;
    oid: string;
    scalarType?: number;
    maxAccess: number;
    tableColumns?: Array<{ number: number; name: string; type: number; maxAccess: number }>;
    tableIndex?: Array<{ columnName: string; foreign?: string; implied?: boolean }>;
    handler?: (req: { done: (err?: unknown) => void; instanceNode: { value: unknown }; oid: string }) => void;
  }

  export interface Mib {
    registerProvider(provider: MibProvider): void;
    setScalarValue(name: string, value: unknown): void;
    getScalarValue(name: string): unknown;
    addTableRow(name: string, row: unknown[]): void;
    setTableSingleCell(name: string, column: number, rowIndex: unknown[], value: unknown): void;
    deleteTableRow(name: string, rowIndex: unknown[]): void;
  }

  export interface Agent {
    getMib(): Mib;
    getAuthorizer(): { addCommunity(c: string): void; addUser(u: User): void };
    close(cb?: () => void): void;
  }

  export function createAgent(
    options: {
      port?: number;
      address?: string | null;
      disableAuthorization?: boolean;
      accessControlModelType?: number;
      engineID?: string;
      transport?: 'udp4' | 'udp6';
    },
    cb: (err: Error | null, data: unknown) => void,
    mib?: Mib,
  ): Agent;

  const snmp: {
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    createAgent: typeof createAgent;
    isVarbindError: typeof isVarbindError;
    varbindError: typeof varbindError;
    Version1: number;
    Version2c: number;
    Version3: number;
    SecurityLevel: typeof SecurityLevel;
    AuthProtocols: typeof AuthProtocols;
    PrivProtocols: typeof PrivProtocols;
    ObjectType: typeof ObjectType;
    MibProviderType: typeof MibProviderType;
    MaxAccess: typeof MaxAccess;
    AccessControlModelType: typeof AccessControlModelType;
  };
  export default snmp;
}
