-- What the archive keeps of each workstation's latest sync bundle (see
-- archive.BundleWorkstation), so that every archive process sharing this
-- database can write that workstation a reply.

-- +goose Up
CREATE TABLE bundle_workstations (
    device    bigint      PRIMARY KEY,
    name      text        NOT NULL,
    reply_key bytea       NOT NULL,
    pull_cursor bigint    NOT NULL,
    have      text[]      NOT NULL,
    updated   timestamptz NOT NULL
);
CREATE INDEX bundle_workstations_by_name ON bundle_workstations (name, updated DESC);

-- +goose Down
DROP TABLE bundle_workstations;
