/**
 * Status-Server (RFC 5997): a NAS or a monitor asking whether wispd is alive. The listener has already checked its
 * Message-Authenticator (§3: it must carry one); the answer is `ok`, which the reply table makes an Access-Accept
 * with no attributes.
 */
import type { Result } from './replies.ts';

export const handleStatusServer = (): Result => 'ok';
