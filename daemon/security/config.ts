import { section, string } from '../../config/define.ts';

export const securitySection = section('Keys that protect secrets at rest.', {
  secret_key: string({
    default: '',
    secret: true,
    pattern: /^[A-Za-z0-9+/]{43}=$/,
    patternReason: 'must be 32 random bytes in base64 (openssl rand -base64 32)',
    doc: 'Key that encrypts NAS secrets and subscriber passwords in PostgreSQL (base64 of 32 bytes). Empty: a key is generated once in daemon.data_dir/secret.key. Every wispd node on one database needs the same key.',
  }),
});
