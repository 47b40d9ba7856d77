package archive

import (
	"bytes"
	"fmt"
	"time"

	"folio/archive/api"
)

// The checks on key requests and grants that every store makes alike,
// inside its own transaction: the store reads the request it holds for the
// device, these decide, and the store writes what they return. The
// conformance suite (storetest) holds every store to them.

// CheckGrant checks a grant before a store looks for its request: it
// carries 1 to api.MaxGrant bytes of wrapped keys.
func CheckGrant(g api.KeyGrant) error {
	if len(g.Grant) == 0 || len(g.Grant) > api.MaxGrant {
		return fmt.Errorf("%w: a key grant is 1 to %d bytes", api.ErrInvalid, api.MaxGrant)
	}
	return nil
}

// Grant decides what grant g, given by device by at at (as the store
// keeps times), does to k, the key request the store holds for g.Device
// (found: whether it holds one). It returns the request as granted and
// whether to write it. A request already given this very grant is returned
// as it is, unwritten (a retried grant); one given another is
// api.ErrConflict; a device that has not asked is api.ErrNotFound.
func Grant(k api.KeyRequest, found bool, g api.KeyGrant, by api.DeviceID, at time.Time) (api.KeyRequest, bool, error) {
	if !found {
		return api.KeyRequest{}, false, NoKeyRequest(g.Device)
	}
	if !k.Pending() {
		if bytes.Equal(k.Grant, g.Grant) {
			return k, false, nil
		}
		return api.KeyRequest{}, false, fmt.Errorf("%w: device %s was already given the vault keys", api.ErrConflict, g.Device)
	}
	k.Grant, k.GrantSignature, k.GrantedBy, k.Granted = bytes.Clone(g.Grant), bytes.Clone(g.Signature), by, at
	return k, true, nil
}

// CheckKeyRequest returns req as a store keeps a new request (without the
// grant fields a request cannot bring), or api.ErrInvalid when it is not
// valid.
func CheckKeyRequest(req api.KeyRequest) (api.KeyRequest, error) {
	req.Grant, req.GrantedBy, req.Granted = nil, 0, time.Time{}
	if err := req.Validate(); err != nil {
		return api.KeyRequest{}, err
	}
	return req, nil
}

// AskAgain decides about req, a key request from a device whose request
// held the store already holds: with the same join key it is a retry and
// held stands (keep); after the device was given the keys another join
// key is api.ErrConflict; otherwise req replaces held.
func AskAgain(held, req api.KeyRequest) (keep bool, err error) {
	if bytes.Equal(held.PublicKey, req.PublicKey) {
		return true, nil
	}
	if !held.Pending() {
		return false, fmt.Errorf("%w: device %s was already given the vault keys; it cannot ask again with another key", api.ErrConflict, req.Device)
	}
	return false, nil
}
