package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/archive"
	"folio/archive/api"
)

// Bind implements archive.Store.
func (s *Store) Bind(ctx context.Context, b api.Binding) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := archive.CheckBinding(b); err != nil {
		return err
	}
	b.Bound = b.Bound.UTC().Round(0)
	return s.db.Update(func(tx *bolt.Tx) error {
		certs, devs := tx.Bucket(bucketBindings), tx.Bucket(bucketDevCerts)
		if v := certs.Get([]byte(b.Serial)); v != nil {
			var held api.Binding
			if err := json.Unmarshal(v, &held); err != nil {
				return fmt.Errorf("%w: binding of certificate %s is damaged: %v", api.ErrInternal, b.Serial, err)
			}
			return archive.CheckRebind(held, b)
		}
		if err := archive.CheckFirstUse(b); err != nil {
			return err
		}
		if prev := devs.Get(u64(uint64(b.Device))); prev != nil {
			var held api.Binding
			if err := json.Unmarshal(certs.Get(prev), &held); err != nil {
				return fmt.Errorf("%w: binding of device %s is damaged: %v", api.ErrInternal, b.Device, err)
			}
			if err := archive.CheckTakeover(held.Name, b); err != nil {
				return err
			}
		}
		v, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if err := certs.Put([]byte(b.Serial), v); err != nil {
			return err
		}
		if err := devs.Put(u64(uint64(b.Device)), []byte(b.Serial)); err != nil {
			return err
		}
		r, _, err := getDevice(tx, b.Device)
		if err != nil {
			return err
		}
		r.Name = b.Name
		seen(&r, b.Bound)
		return putDevice(tx, b.Device, r)
	})
}

func getKeyRequest(tx *bolt.Tx, d api.DeviceID) (api.KeyRequest, bool, error) {
	v := tx.Bucket(bucketKeyReqs).Get(u64(uint64(d)))
	if v == nil {
		return api.KeyRequest{}, false, nil
	}
	var k api.KeyRequest
	if err := json.Unmarshal(v, &k); err != nil {
		return k, false, fmt.Errorf("%w: key request of device %s is damaged: %v", api.ErrInternal, d, err)
	}
	return k, true, nil
}

func putKeyRequest(tx *bolt.Tx, k api.KeyRequest) error {
	v, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketKeyReqs).Put(u64(uint64(k.Device)), v)
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
	req.Requested = req.Requested.UTC().Round(0)
	out := req
	err = s.db.Update(func(tx *bolt.Tx) error {
		held, ok, err := getKeyRequest(tx, req.Device)
		if err != nil {
			return err
		}
		if ok {
			keep, err := archive.AskAgain(held, req)
			if err != nil {
				return err
			}
			if keep {
				out = held
				return nil
			}
		}
		return putKeyRequest(tx, req)
	})
	if err != nil {
		return api.KeyRequest{}, fmt.Errorf("key request of device %s: %w", req.Device, err)
	}
	return out, nil
}

// KeyRequest implements archive.Store.
func (s *Store) KeyRequest(ctx context.Context, device api.DeviceID) (api.KeyRequest, error) {
	return lookup(ctx, s, func(tx *bolt.Tx) (api.KeyRequest, bool, error) { return getKeyRequest(tx, device) }, archive.NoKeyRequest(device))
}

// KeyRequests implements archive.Store.
func (s *Store) KeyRequests(ctx context.Context) ([]api.KeyRequest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []api.KeyRequest{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeyReqs).ForEach(func(k, _ []byte) error {
			r, _, err := getKeyRequest(tx, api.DeviceID(binary.BigEndian.Uint64(k)))
			if err != nil {
				return err
			}
			if len(out) < api.MaxKeyRequest {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		k, ok, err := getKeyRequest(tx, g.Device)
		if err != nil {
			return err
		}
		k, write, err := archive.Grant(k, ok, g, by, at.UTC().Round(0))
		out = k
		if err != nil || !write {
			return err
		}
		return putKeyRequest(tx, k)
	})
	if err != nil {
		return api.KeyRequest{}, fmt.Errorf("grant keys to device %s: %w", g.Device, err)
	}
	return out, nil
}

var keyOrgVault = []byte("org")

func getOrgVault(tx *bolt.Tx) (api.OrgVault, bool, error) {
	v := tx.Bucket(bucketVault).Get(keyOrgVault)
	if v == nil {
		return api.OrgVault{}, false, nil
	}
	var o api.OrgVault
	if err := json.Unmarshal(v, &o); err != nil {
		return o, false, fmt.Errorf("%w: the organisation vault's record is damaged: %v", api.ErrInternal, err)
	}
	return o, true, nil
}

// ClaimVault implements archive.Store.
func (s *Store) ClaimVault(ctx context.Context, device api.DeviceID, pub []byte, at time.Time) (api.OrgVault, error) {
	if err := ctx.Err(); err != nil {
		return api.OrgVault{}, err
	}
	if err := archive.CheckClaim(device, pub); err != nil {
		return api.OrgVault{}, err
	}
	var out api.OrgVault
	err := s.db.Update(func(tx *bolt.Tx) error {
		o, ok, err := getOrgVault(tx)
		if err != nil {
			return err
		}
		if !ok {
			o = api.OrgVault{PublicKey: bytes.Clone(pub), Device: device, Bound: at.UTC().Truncate(time.Microsecond)}
			v, err := json.Marshal(o)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketVault).Put(keyOrgVault, v); err != nil {
				return err
			}
		}
		if err := archive.CheckVaultKey(o, device, pub); err != nil {
			return err
		}
		out = o
		b := tx.Bucket(bucketVault)
		if b.Get(u64(uint64(device))) != nil {
			return nil
		}
		return b.Put(u64(uint64(device)), []byte(at.UTC().Format(time.RFC3339Nano)))
	})
	return out, err
}

// OrgVault implements archive.Store.
func (s *Store) OrgVault(ctx context.Context) (api.OrgVault, error) {
	return lookup(ctx, s, getOrgVault, archive.ErrNoVaultYet)
}

// lookup reads one record with get in a read transaction: what get
// found, or the error missing when it found none.
func lookup[T any](ctx context.Context, s *Store, get func(tx *bolt.Tx) (T, bool, error), missing error) (T, error) {
	var out T
	if err := ctx.Err(); err != nil {
		return out, err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		v, ok, err := get(tx)
		if err != nil {
			return err
		}
		if !ok {
			return missing
		}
		out = v
		return nil
	})
	return out, err
}

// VaultMember implements archive.Store.
func (s *Store) VaultMember(ctx context.Context, device api.DeviceID) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketVault).Get(u64(uint64(device))) != nil
		return nil
	})
	return ok, err
}

// PutBundleWorkstation implements archive.Store.
func (s *Store) PutBundleWorkstation(ctx context.Context, w archive.BundleWorkstation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.Validate(); err != nil {
		return err
	}
	w.Updated = w.Updated.UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it
	v, err := json.Marshal(w)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBundleWS).Put(u64(uint64(w.Device)), v)
	})
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
	var best archive.BundleWorkstation
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBundleWS).ForEach(func(k, v []byte) error {
			var w archive.BundleWorkstation
			if err := json.Unmarshal(v, &w); err != nil {
				return fmt.Errorf("%w: bundle record of device %s is damaged: %v", api.ErrInternal, api.DeviceID(binary.BigEndian.Uint64(k)), err)
			}
			if w.Name == name && (best.Device == 0 || w.Updated.After(best.Updated)) {
				best = w
			}
			return nil
		})
	})
	if err != nil {
		return archive.BundleWorkstation{}, fmt.Errorf("bundle record of %s: %w", name, err)
	}
	if best.Device == 0 {
		return best, archive.NoBundle(name)
	}
	return best, nil
}
