-- 007: bearer tokens issued by Kassa itself (POST /v1/tokens), beside the ones in the config file.
-- Only the SHA-256 of a token is kept (lower-case hex): the token is shown once, when it is made.
-- Bindings are space-separated ids (registers and INNs are [A-Za-z0-9._:-], never a space); empty:
-- unbound. A revoked token keeps its row (revoked_ms set) so the list and the audit log still name it.

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT    NOT NULL UNIQUE CHECK (length(sha256) = 64),
    name        TEXT    NOT NULL CHECK (name <> ''),
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'cashier', 'courier')),
    entities    TEXT    NOT NULL DEFAULT '',
    registers   TEXT    NOT NULL DEFAULT '',
    created_ms  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    revoked_ms  INTEGER
);

-- A revoked token never comes back.
CREATE TRIGGER tokens_revocation_is_final BEFORE UPDATE OF revoked_ms ON tokens
WHEN OLD.revoked_ms IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'token already revoked');
END;
