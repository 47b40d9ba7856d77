-- Storage quotas set for one workstation (archive.Store.SetQuota), by its
-- certificate's name, in place of the server's --device-quota: bytes > 0,
-- or -1 for none.

-- +goose Up
CREATE TABLE quotas (
    name  text   PRIMARY KEY,
    bytes bigint NOT NULL CHECK (bytes > 0 OR bytes = -1)
);

-- +goose Down
DROP TABLE quotas;
