-- The archive's first schema. Device ids, HLCs and sequence numbers are
-- unsigned 64-bit numbers in Go; they are stored in bigint with the same
-- bits (a device id at or above 2^63 reads as negative here).

-- +goose Up

-- head is the single row every push locks (SELECT … FOR UPDATE): it holds
-- the last global sequence number, so pushes are serialised and commit in
-- sequence order, and the running total of record ciphertext.
CREATE TABLE head (
    one          boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq          bigint  NOT NULL CHECK (seq >= 0),
    record_bytes bigint  NOT NULL DEFAULT 0
);
INSERT INTO head (one, seq) VALUES (true, 0);

-- changes is the global order: one row per record version.
CREATE TABLE changes (
    seq           bigint PRIMARY KEY CHECK (seq > 0),
    pusher        bigint NOT NULL,
    kind          text   NOT NULL,
    record_id     text   NOT NULL,
    hlc           bigint NOT NULL,
    device        bigint NOT NULL,
    parent_hlc    bigint NOT NULL,
    parent_device bigint NOT NULL,
    ciphertext    bytea  NOT NULL,
    UNIQUE (kind, record_id, hlc, device)
);
-- Ciphertext does not compress: keep it out of line without trying.
ALTER TABLE changes ALTER COLUMN ciphertext SET STORAGE EXTERNAL;

-- batches holds the first answer to every (device, batch), with the
-- SHA-256 of the request it answered.
CREATE TABLE batches (
    device bigint NOT NULL,
    batch  bigint NOT NULL,
    digest bytea  NOT NULL,
    answer jsonb  NOT NULL,
    PRIMARY KEY (device, batch)
);

-- bindings ties certificates (by serial) to device ids, for good.
CREATE TABLE bindings (
    serial text   PRIMARY KEY,
    name   text   NOT NULL,
    device bigint NOT NULL,
    bound  timestamptz
);

-- devices is the registry of every device that called. A NULL time is
-- Go's zero time.
CREATE TABLE devices (
    device        bigint PRIMARY KEY,
    name          text   NOT NULL DEFAULT '',
    cert_serial   text   REFERENCES bindings (serial),
    first_seen    timestamptz,
    last_seen     timestamptz,
    last_batch    bigint NOT NULL DEFAULT 0,
    versions      bigint NOT NULL DEFAULT 0,
    audit_through bigint NOT NULL DEFAULT 0,
    pull_cursor   bigint NOT NULL DEFAULT 0
);

-- audit holds every device's audit chain.
CREATE TABLE audit (
    device bigint NOT NULL,
    seq    bigint NOT NULL CHECK (seq > 0),
    hash   bytea  NOT NULL,
    sealed bytea  NOT NULL,
    PRIMARY KEY (device, seq)
);

-- blobs is one row per blob, complete or being uploaded; blob_chunks its
-- verified 1 MiB chunks, which stay the blob's bytes once it is complete.
CREATE TABLE blobs (
    id       text    PRIMARY KEY,
    size     bigint  NOT NULL CHECK (size > 0),
    complete boolean NOT NULL DEFAULT false
);
CREATE TABLE blob_chunks (
    blob_id text    NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    n       integer NOT NULL CHECK (n >= 0),
    data    bytea   NOT NULL,
    PRIMARY KEY (blob_id, n)
);
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- key_requests holds each device's request for the vault keys and, once
-- approved, the keys wrapped to its public key.
CREATE TABLE key_requests (
    device     bigint PRIMARY KEY,
    name       text   NOT NULL,
    public_key bytea  NOT NULL,
    requested  timestamptz,
    wrapped    bytea,
    granted_by bigint NOT NULL DEFAULT 0,
    granted    timestamptz
);

-- +goose Down
DROP TABLE key_requests;
DROP TABLE blob_chunks;
DROP TABLE blobs;
DROP TABLE audit;
DROP TABLE devices;
DROP TABLE bindings;
DROP TABLE batches;
DROP TABLE changes;
DROP TABLE head;
