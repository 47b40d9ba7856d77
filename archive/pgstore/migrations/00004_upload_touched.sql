-- When an incomplete upload last received a chunk, so that abandoned
-- uploads can expire (archive.Store.ExpireUploads).

-- +goose Up
ALTER TABLE blobs ADD COLUMN touched timestamptz NOT NULL DEFAULT now();

-- +goose Down
ALTER TABLE blobs DROP COLUMN touched;
