-- What each device holds on the archive, counted against its storage
-- quota (archive.Store.Charge): the versions it pushed and the blobs it
-- was charged for, once per blob.

-- +goose Up
ALTER TABLE devices ADD COLUMN held bigint NOT NULL DEFAULT 0;
CREATE TABLE blob_charges (
    id     text   PRIMARY KEY,
    device bigint NOT NULL,
    size   bigint NOT NULL CHECK (size > 0)
);

-- +goose Down
DROP TABLE blob_charges;
ALTER TABLE devices DROP COLUMN held;
