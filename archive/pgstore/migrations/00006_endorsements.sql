-- The endorsement a user or key-slots version carries (JSON of
-- endorse.Endorsement: who wrote it, signed), kept with the version; the
-- archive's registry of signers is rebuilt from these versions at start.

-- +goose Up
ALTER TABLE changes ADD COLUMN endorsement bytea;
CREATE INDEX changes_endorsed ON changes (seq) WHERE kind IN ('user', 'keyslots');

-- +goose Down
DROP INDEX changes_endorsed;
ALTER TABLE changes DROP COLUMN endorsement;
