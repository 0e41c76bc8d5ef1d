-- Evidence (live face crops) sealed to the office's X25519 key. format-stable.
-- The ciphertext's SHA-256 is in the signed payload of event (kiosk_id, seq), so a
-- replaced ciphertext is detected by verification.
CREATE TABLE evidence (
    kiosk_id   TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    ciphertext BLOB    NOT NULL,
    PRIMARY KEY (kiosk_id, seq),
    FOREIGN KEY (kiosk_id, seq) REFERENCES events (kiosk_id, seq)
) STRICT;

CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN
    SELECT RAISE(ABORT, 'evidence is append-only: UPDATE refused');
END;

CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN
    SELECT RAISE(ABORT, 'evidence is append-only: DELETE refused');
END;
