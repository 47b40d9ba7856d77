package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"folio/archive"
	"folio/archive/api"
)

// storable reports whether s can be kept in a text column (valid UTF-8
// without NUL).
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// Bind implements archive.Store. A certificate's binding never changes
// once made, so a binding already held is confirmed without a lock; a new
// one is made under a table lock that orders concurrent binds.
func (s *Store) Bind(ctx context.Context, b api.Binding) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := archive.CheckBinding(b); err != nil {
		return err
	}
	if !storable(b.Serial) || !storable(b.Name) {
		return fmt.Errorf("%w: certificate serial %.70q or name %.70q is not valid UTF-8 text", api.ErrInvalid, b.Serial, b.Name)
	}
	checkHeld := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) (bool, error) {
		var held api.Binding
		var dev int64
		var bound *time.Time
		err := q.QueryRow(ctx, `SELECT name, device, bound FROM bindings WHERE serial = $1`, b.Serial).Scan(&held.Name, &dev, &bound)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("binding of certificate %s: %w", b.Serial, err)
		}
		held.Device, held.Bound = api.DeviceID(dev), goTime(bound)
		return true, archive.CheckRebind(held, b)
	}
	if held, err := checkHeld(s.pool); held || err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE bindings IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("bind certificate %s: %w", b.Serial, err)
		}
		if held, err := checkHeld(tx); held || err != nil {
			return err
		}
		if err := archive.CheckFirstUse(b); err != nil {
			return err
		}
		var heldName string
		err := tx.QueryRow(ctx, `SELECT b.name FROM devices d JOIN bindings b ON b.serial = d.cert_serial WHERE d.device = $1`, i64(uint64(b.Device))).Scan(&heldName)
		switch {
		case err == nil:
			if err := archive.CheckTakeover(heldName, b); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("binding of device %s: %w", b.Device, err)
		}
		bound := pgTime(b.Bound)
		if _, err := tx.Exec(ctx, `INSERT INTO bindings (serial, name, device, bound) VALUES ($1, $2, $3, $4)`, b.Serial, b.Name, i64(uint64(b.Device)), bound); err != nil {
			return fmt.Errorf("bind certificate %s: %w", b.Serial, err)
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO devices (device, name, cert_serial, first_seen, last_seen) VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (device) DO UPDATE SET
				name = excluded.name, cert_serial = excluded.cert_serial,
				first_seen = COALESCE(devices.first_seen, excluded.first_seen),
				last_seen = GREATEST(devices.last_seen, excluded.last_seen)`,
			i64(uint64(b.Device)), b.Name, b.Serial, bound)
		if err != nil {
			return fmt.Errorf("bind certificate %s: %w", b.Serial, err)
		}
		return nil
	})
}

const keyRequestColumns = `device, name, public_key, requested, wrapped, granted_by, granted, grant_signature`

func scanKeyRequest(row pgx.Row) (api.KeyRequest, error) {
	var k api.KeyRequest
	var dev, by int64
	var requested, granted *time.Time
	if err := row.Scan(&dev, &k.Name, &k.PublicKey, &requested, &k.Grant, &by, &granted, &k.GrantSignature); err != nil {
		return api.KeyRequest{}, err
	}
	k.Device, k.GrantedBy = api.DeviceID(dev), api.DeviceID(by)
	k.Requested, k.Granted = goTime(requested), goTime(granted)
	return k, nil
}

// PutKeyRequest implements archive.Store.
func (s *Store) PutKeyRequest(ctx context.Context, req api.KeyRequest) (api.KeyRequest, error) {
	if err := ctx.Err(); err != nil {
		return api.KeyRequest{}, err
	}
	req, err := archive.CheckKeyRequest(req)
	if err != nil {
		return api.KeyRequest{}, err
	}
	req.Requested = goTime(pgTime(req.Requested))
	out := req
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO key_requests (device, name, public_key, requested) VALUES ($1, $2, $3, $4) ON CONFLICT (device) DO NOTHING`,
			i64(uint64(req.Device)), req.Name, req.PublicKey, pgTime(req.Requested))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		held, err := scanKeyRequest(tx.QueryRow(ctx, `SELECT `+keyRequestColumns+` FROM key_requests WHERE device = $1 FOR UPDATE`, i64(uint64(req.Device))))
		if err != nil {
			return err
		}
		keep, err := archive.AskAgain(held, req)
		if err != nil {
			return err
		}
		if keep {
			out = held
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE key_requests SET name = $2, public_key = $3, requested = $4 WHERE device = $1`,
			i64(uint64(req.Device)), req.Name, req.PublicKey, pgTime(req.Requested))
		return err
	})
	if err != nil {
		return api.KeyRequest{}, fmt.Errorf("key request of device %s: %w", req.Device, err)
	}
	return out, nil
}

// KeyRequest implements archive.Store.
func (s *Store) KeyRequest(ctx context.Context, device api.DeviceID) (api.KeyRequest, error) {
	if err := ctx.Err(); err != nil {
		return api.KeyRequest{}, err
	}
	k, err := scanKeyRequest(s.pool.QueryRow(ctx, `SELECT `+keyRequestColumns+` FROM key_requests WHERE device = $1`, i64(uint64(device))))
	if errors.Is(err, pgx.ErrNoRows) {
		return api.KeyRequest{}, archive.NoKeyRequest(device)
	}
	if err != nil {
		return api.KeyRequest{}, fmt.Errorf("key request of device %s: %w", device, err)
	}
	return k, nil
}

// KeyRequests implements archive.Store.
func (s *Store) KeyRequests(ctx context.Context) ([]api.KeyRequest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+keyRequestColumns+` FROM key_requests ORDER BY device `+unsignedOrder+` LIMIT $1`, api.MaxKeyRequest)
	if err != nil {
		return nil, fmt.Errorf("key requests: %w", err)
	}
	defer rows.Close()
	out := []api.KeyRequest{}
	for rows.Next() {
		k, err := scanKeyRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("key requests: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("key requests: %w", err)
	}
	return out, nil
}

// GrantKey implements archive.Store.
func (s *Store) GrantKey(ctx context.Context, g api.KeyGrant, by api.DeviceID, at time.Time) (api.KeyRequest, error) {
	if err := ctx.Err(); err != nil {
		return api.KeyRequest{}, err
	}
	if err := archive.CheckGrant(g); err != nil {
		return api.KeyRequest{}, err
	}
	var out api.KeyRequest
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		k, err := scanKeyRequest(tx.QueryRow(ctx, `SELECT `+keyRequestColumns+` FROM key_requests WHERE device = $1 FOR UPDATE`, i64(uint64(g.Device))))
		found := !errors.Is(err, pgx.ErrNoRows)
		if err != nil && found {
			return err
		}
		k, write, err := archive.Grant(k, found, g, by, goTime(pgTime(at)))
		out = k
		if err != nil || !write {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE key_requests SET wrapped = $2, grant_signature = $3, granted_by = $4, granted = $5 WHERE device = $1`,
			i64(uint64(g.Device)), k.Grant, k.GrantSignature, i64(uint64(by)), pgTime(at))
		return err
	})
	if err != nil {
		return api.KeyRequest{}, fmt.Errorf("grant keys to device %s: %w", g.Device, err)
	}
	return out, nil
}

// ClaimVault implements archive.Store. The first claim inserts the one
// org_vault row; concurrent first claims are ordered by its primary key.
func (s *Store) ClaimVault(ctx context.Context, device api.DeviceID, pub []byte, at time.Time) (api.OrgVault, error) {
	if err := ctx.Err(); err != nil {
		return api.OrgVault{}, err
	}
	if err := archive.CheckClaim(device, pub); err != nil {
		return api.OrgVault{}, err
	}
	var out api.OrgVault
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO org_vault (public_key, device, bound) VALUES ($1, $2, $3) ON CONFLICT (one) DO NOTHING`,
			pub, i64(uint64(device)), pgTime(at)); err != nil {
			return err
		}
		o, err := scanOrgVault(tx.QueryRow(ctx, `SELECT public_key, device, bound FROM org_vault`))
		if err != nil {
			return err
		}
		if err := archive.CheckVaultKey(o, device, pub); err != nil {
			return err
		}
		out = o
		_, err = tx.Exec(ctx, `INSERT INTO vault_members (device, claimed) VALUES ($1, $2) ON CONFLICT (device) DO NOTHING`, i64(uint64(device)), pgTime(at))
		return err
	})
	if err != nil {
		return api.OrgVault{}, fmt.Errorf("vault claim of device %s: %w", device, err)
	}
	return out, nil
}

func scanOrgVault(row pgx.Row) (api.OrgVault, error) {
	var o api.OrgVault
	var dev int64
	var bound *time.Time
	if err := row.Scan(&o.PublicKey, &dev, &bound); err != nil {
		return api.OrgVault{}, err
	}
	o.Device, o.Bound = api.DeviceID(dev), goTime(bound)
	return o, nil
}

// OrgVault implements archive.Store.
func (s *Store) OrgVault(ctx context.Context) (api.OrgVault, error) {
	if err := ctx.Err(); err != nil {
		return api.OrgVault{}, err
	}
	o, err := scanOrgVault(s.pool.QueryRow(ctx, `SELECT public_key, device, bound FROM org_vault`))
	if errors.Is(err, pgx.ErrNoRows) {
		return api.OrgVault{}, archive.ErrNoVaultYet
	}
	if err != nil {
		return api.OrgVault{}, fmt.Errorf("organisation vault: %w", err)
	}
	return o, nil
}

// VaultMember implements archive.Store.
func (s *Store) VaultMember(ctx context.Context, device api.DeviceID) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM vault_members WHERE device = $1)`, i64(uint64(device))).Scan(&ok); err != nil {
		return false, fmt.Errorf("vault member %s: %w", device, err)
	}
	return ok, nil
}

// PutBundleWorkstation implements archive.Store.
func (s *Store) PutBundleWorkstation(ctx context.Context, w archive.BundleWorkstation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.Validate(); err != nil {
		return err
	}
	have := w.Have
	if have == nil {
		have = []string{}
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO bundle_workstations (device, name, reply_key, pull_cursor, have, updated) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (device) DO UPDATE SET name = excluded.name, reply_key = excluded.reply_key,
			pull_cursor = excluded.pull_cursor, have = excluded.have, updated = excluded.updated`,
		i64(uint64(w.Device)), w.Name, w.ReplyKey, i64(w.Cursor), have, goTime(pgTime(w.Updated)))
	if err != nil {
		return fmt.Errorf("keep the bundle record of %s: %w", w.Name, err)
	}
	return nil
}

// BundleWorkstation implements archive.Store.
func (s *Store) BundleWorkstation(ctx context.Context, name string) (archive.BundleWorkstation, error) {
	if err := ctx.Err(); err != nil {
		return archive.BundleWorkstation{}, err
	}
	if !storable(name) {
		return archive.BundleWorkstation{}, fmt.Errorf("%w: workstation name %.70q is not valid UTF-8 text", api.ErrInvalid, name)
	}
	var w archive.BundleWorkstation
	var dev, cursor int64
	err := s.pool.QueryRow(ctx, `
		SELECT device, name, reply_key, pull_cursor, have, updated FROM bundle_workstations
		WHERE name = $1 ORDER BY updated DESC, device `+unsignedOrder+` LIMIT 1`, name).Scan(&dev, &w.Name, &w.ReplyKey, &cursor, &w.Have, &w.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, archive.NoBundle(name)
	}
	if err != nil {
		return w, fmt.Errorf("bundle record of %s: %w", name, err)
	}
	w.Device, w.Cursor, w.Updated = api.DeviceID(uint64(dev)), uint64(cursor), w.Updated.UTC()
	if len(w.Have) == 0 {
		w.Have = nil
	}
	return w, nil
}
