-- The organisation's vault (see archive.Store.ClaimVault): the identity
-- key of the first vault shown to the archive, the devices that showed
-- they hold it, and the vault's signature kept with each key grant.

-- +goose Up
CREATE TABLE org_vault (
    one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
    public_key bytea       NOT NULL,
    device     bigint      NOT NULL,
    bound      timestamptz NOT NULL
);
CREATE TABLE vault_members (
    device  bigint      PRIMARY KEY,
    claimed timestamptz NOT NULL
);
ALTER TABLE key_requests ADD COLUMN grant_signature bytea;

-- +goose Down
ALTER TABLE key_requests DROP COLUMN grant_signature;
DROP TABLE vault_members;
DROP TABLE org_vault;
