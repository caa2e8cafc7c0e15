-- Acct-Session-Time is an unsigned 32-bit integer (RFC 2866 §5.7): a NAS may send values integer cannot hold.
ALTER TABLE radius_session ALTER COLUMN session_time TYPE bigint;
