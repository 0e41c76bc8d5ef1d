-- The append-only event log (docs/design.md, "The log"). format-stable: columns are read by
-- name by the verifier and the office; add columns in new migrations, never rename.
CREATE TABLE kiosk (
    kiosk_id   TEXT PRIMARY KEY NOT NULL,
    public_key BLOB NOT NULL CHECK (length(public_key) = 32)
) STRICT;

CREATE TABLE events (
    kiosk_id  TEXT    NOT NULL,
    seq       INTEGER NOT NULL CHECK (seq >= 1),
    at_ms     INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    payload   BLOB    NOT NULL,
    prev_hash BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB    NOT NULL CHECK (length(hash) = 32),
    signature BLOB    NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (kiosk_id, seq)
) STRICT;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
END;

CREATE TRIGGER kiosk_no_update BEFORE UPDATE ON kiosk
BEGIN
    SELECT RAISE(ABORT, 'the kiosk key is fixed: UPDATE refused');
END;
