package api

import (
	"fmt"
	"io"
	"time"
)

// Enrollment and key transfer. A workstation's certificate names the
// workstation (Cert); the first time it calls, it claims the device id of
// its vault (HeaderDevice) and the archive binds the two for good
// (Binding). A workstation that joins with an empty vault asks for the
// vault keys with a public key of its own (KeyRequest); an administrator
// on a workstation that has the keys wraps them to that public key
// (KeyGrant); the joining workstation fetches the grant. The archive only
// carries the wrapped keys: it cannot open them.
//
//	POST /v1/keys/request   KeyRequestBody → KeyRequest (the caller's)
//	GET  /v1/keys/request   → KeyRequest (the caller's, with its grant once given)
//	GET  /v1/keys/requests  → KeyRequestList (every device's, for approvers)
//	POST /v1/keys/grant     KeyGrant → KeyRequest (the one granted)
const (
	PathKeyRequest  = "/v1/keys/request"
	PathKeyRequests = "/v1/keys/requests"
	PathKeyGrant    = "/v1/keys/grant"

	// HeaderDevice carries, on every request, the device id of the vault
	// the calling workstation syncs (16 hex digits).
	HeaderDevice = "X-Folio-Device"
)

// Limits of the key-transfer messages.
const (
	MaxPublicKey  = 4 << 10
	MaxGrant      = 64 << 10
	MaxKeyRequest = 10000
	MaxNameLen    = 64
)

// Cert is the verified client certificate a request came with.
type Cert struct {
	Serial string `json:"serial"` // lower-case hex
	Name   string `json:"name"`   // the workstation's name (its CN)
	// EnrollBy is the deadline for the certificate's first use (its
	// enrollment file's expiry); zero for certificates without one.
	EnrollBy time.Time `json:"enroll_by,omitzero"`
}

// Binding ties one certificate to the device id of the vault it syncs.
// Bindings are made on first use and never change, but for a renewed
// certificate of the same name taking over its device.
type Binding struct {
	Cert
	Device DeviceID  `json:"device"`
	Bound  time.Time `json:"bound"`
}

// KeyRequestBody is what a joining workstation sends: the public half of
// a Tink hybrid keyset whose private half never leaves it.
type KeyRequestBody struct {
	PublicKey []byte `json:"public_key"`
}

// KeyRequest is one workstation's request for the vault keys and, once an
// administrator approved it, the keys wrapped to its public key.
type KeyRequest struct {
	Device    DeviceID  `json:"device"`
	Name      string    `json:"name"`
	PublicKey []byte    `json:"public_key"`
	Requested time.Time `json:"requested"`
	Grant     []byte    `json:"grant,omitempty"`
	GrantedBy DeviceID  `json:"granted_by,omitempty"`
	Granted   time.Time `json:"granted,omitzero"`
	// GrantSignature is the organisation vault's signature over
	// GrantMessage (checked by the archive before it kept the grant).
	GrantSignature []byte `json:"grant_signature,omitempty"`
	// Vault is the organisation vault's identity key, as the archive
	// answers a request (not stored with it): the joining workstation
	// checks the grant against it.
	Vault []byte `json:"vault,omitempty"`
}

// Pending reports whether the request still waits for an approval.
func (k KeyRequest) Pending() bool { return len(k.Grant) == 0 }

// KeyRequestList is every key request the archive holds.
type KeyRequestList struct {
	Requests []KeyRequest `json:"requests"`
}

// KeyGrant answers one request: the vault keys wrapped to its public key,
// and the vault key's signature over GrantMessage.
type KeyGrant struct {
	Device    DeviceID `json:"device"`
	Grant     []byte   `json:"grant"`
	Signature []byte   `json:"signature"`
}

// Countersignature is the archive's signed statement that it holds a
// device's audit chain through Seq, whose link hash is Hash: a device
// that later cuts or rewrites its trail is contradicted by it. Signature
// is over CountersignMessage, by the key of the archive's certificate.
type Countersignature struct {
	Device    DeviceID  `json:"device"`
	Seq       uint64    `json:"seq"`
	Hash      []byte    `json:"hash"`
	Time      time.Time `json:"time"`
	Signature []byte    `json:"signature"`
	// Certificate is the signing archive's certificate (DER); a
	// workstation checks it against its organisation's CA
	// (VerifyCountersignature). Archives before it sent none.
	Certificate []byte `json:"certificate,omitempty"`
}

// CountersignMessage is the byte string an archive countersignature signs.
func CountersignMessage(dev DeviceID, seq uint64, hash []byte, at time.Time) []byte {
	return fmt.Appendf(nil, "folio audit countersignature v1\x00%s\x00%d\x00%x\x00%s", dev, seq, hash, at.UTC().Format(time.RFC3339Nano))
}

// Validate checks a key request's fields.
func (k KeyRequest) Validate() error {
	if k.Device == 0 {
		return fmt.Errorf("%w: key request names no device", ErrInvalid)
	}
	if len(k.Name) == 0 || len(k.Name) > MaxNameLen || !printable(k.Name) {
		return fmt.Errorf("%w: key request's device name %.70q", ErrInvalid, k.Name)
	}
	if len(k.PublicKey) == 0 || len(k.PublicKey) > MaxPublicKey {
		return fmt.Errorf("%w: key request's public key is %d bytes (1 to %d)", ErrInvalid, len(k.PublicKey), MaxPublicKey)
	}
	if len(k.Grant) > MaxGrant {
		return fmt.Errorf("%w: key grant is %d bytes (at most %d)", ErrInvalid, len(k.Grant), MaxGrant)
	}
	if len(k.GrantSignature) > MaxPublicKey || len(k.Vault) > MaxPublicKey {
		return fmt.Errorf("%w: key grant signature or vault key over %d bytes", ErrInvalid, MaxPublicKey)
	}
	return nil
}

// DecodeKeyRequestBody reads what a joining workstation sent.
func DecodeKeyRequestBody(r io.Reader) (KeyRequestBody, error) {
	var b KeyRequestBody
	if err := decode(r, MaxMetaBody, "key request", &b); err != nil {
		return KeyRequestBody{}, err
	}
	if len(b.PublicKey) == 0 || len(b.PublicKey) > MaxPublicKey {
		return KeyRequestBody{}, fmt.Errorf("%w: key request's public key is %d bytes (1 to %d)", ErrInvalid, len(b.PublicKey), MaxPublicKey)
	}
	return b, nil
}

// DecodeKeyRequest reads one key request.
func DecodeKeyRequest(r io.Reader) (KeyRequest, error) {
	return decodeValid[KeyRequest](r, MaxMetaBody, "key request answer")
}

// DecodeKeyRequestList reads the list of key requests.
func DecodeKeyRequestList(r io.Reader) (KeyRequestList, error) {
	var l KeyRequestList
	if err := decode(r, MaxPullBody, "key request list", &l); err != nil {
		return KeyRequestList{}, err
	}
	if len(l.Requests) > MaxKeyRequest {
		return KeyRequestList{}, fmt.Errorf("%w: key request list has %d entries (at most %d)", ErrInvalid, len(l.Requests), MaxKeyRequest)
	}
	for i, k := range l.Requests {
		if err := k.Validate(); err != nil {
			return KeyRequestList{}, fmt.Errorf("key request %d: %w", i, err)
		}
	}
	return l, nil
}

// DecodeKeyGrant reads an approver's grant.
func DecodeKeyGrant(r io.Reader) (KeyGrant, error) {
	var g KeyGrant
	if err := decode(r, MaxMetaBody, "key grant", &g); err != nil {
		return KeyGrant{}, err
	}
	if g.Device == 0 || len(g.Grant) == 0 || len(g.Grant) > MaxGrant {
		return KeyGrant{}, fmt.Errorf("%w: key grant for device %s of %d bytes (1 to %d)", ErrInvalid, g.Device, len(g.Grant), MaxGrant)
	}
	if len(g.Signature) == 0 || len(g.Signature) > MaxPublicKey {
		return KeyGrant{}, fmt.Errorf("%w: a key grant must be signed by the organisation's vault (update Folio on the approving workstation)", ErrInvalid)
	}
	return g, nil
}
