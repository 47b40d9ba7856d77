package archive

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	"folio/archive/api"
)

// countersign signs a device's audit head with the archive's key: SHA-256
// of api.CountersignMessage for ECDSA and RSA keys, the message itself for
// Ed25519. cert, the key's certificate, travels with it.
func countersign(signer crypto.Signer, cert *x509.Certificate, dev api.DeviceID, head api.AuditEntry, at time.Time) (api.Countersignature, error) {
	at = at.UTC().Round(0)
	msg := api.CountersignMessage(dev, head.Seq, head.Hash, at)
	var sig []byte
	var err error
	if _, ok := signer.Public().(ed25519.PublicKey); ok {
		sig, err = signer.Sign(rand.Reader, msg, crypto.Hash(0))
	} else {
		sum := sha256.Sum256(msg)
		sig, err = signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		return api.Countersignature{}, fmt.Errorf("%w: countersign the audit trail of device %s: %v", api.ErrInternal, dev, err)
	}
	cs := api.Countersignature{Device: dev, Seq: head.Seq, Hash: head.Hash, Time: at, Signature: sig}
	if cert != nil {
		cs.Certificate = cert.Raw
	}
	return cs, nil
}

// VerifyCountersignature checks cs against the archive's certificate (which
// the caller has verified against the organisation's CA).
func VerifyCountersignature(archiveCert *x509.Certificate, cs api.Countersignature) error {
	return api.CheckCountersignature(archiveCert, cs)
}

func (s *Server) putKeyRequest(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	b, err := decodeBody(w, r, api.MaxMetaBody, "key request", api.DecodeKeyRequestBody)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	info, err := s.store.Device(r.Context(), dev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := info.Name
	if name == "" {
		name = dev.String()
	}
	k, err := s.store.PutKeyRequest(r.Context(), api.KeyRequest{Device: dev, Name: name, PublicKey: b.PublicKey, Requested: s.now()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerKeyRequest(w, r, k)
}

// answerKeyRequest writes k with the organisation vault's key, which the
// joining workstation checks the grant against.
func (s *Server) answerKeyRequest(w http.ResponseWriter, r *http.Request, k api.KeyRequest) {
	org, err := s.store.OrgVault(r.Context())
	switch {
	case err == nil:
		k.Vault = org.PublicKey
	case !errors.Is(err, api.ErrNotFound):
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

func (s *Server) keyRequest(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	k, err := s.store.KeyRequest(r.Context(), dev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerKeyRequest(w, r, k)
}

func (s *Server) keyRequests(w http.ResponseWriter, r *http.Request, _ api.DeviceID) {
	l, err := s.store.KeyRequests(r.Context())
	s.reply(w, r, api.KeyRequestList{Requests: l}, err)
}

// grantKey keeps a grant only from a workstation of the organisation's
// vault (the member check in front of it) and only signed by that vault's
// key over the request's join key and the wrapped keys.
func (s *Server) grantKey(w http.ResponseWriter, r *http.Request, dev api.DeviceID) {
	g, err := decodeBody(w, r, api.MaxMetaBody, "key grant", api.DecodeKeyGrant)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if g.Device == dev {
		s.fail(w, r, fmt.Errorf("%w: a workstation cannot grant the vault keys to itself", api.ErrForbidden))
		return
	}
	org, err := s.store.OrgVault(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := s.store.KeyRequest(r.Context(), g.Device)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := api.VerifyVault(org.PublicKey, api.GrantMessage(g.Device, req.PublicKey, g.Grant), g.Signature); err != nil {
		s.fail(w, r, fmt.Errorf("%w: %w: the key grant for %s is not signed by the organisation's vault %s (or was made for another key): not kept", api.ErrForeignVault, api.ErrForbidden, req.Name, org.Fingerprint()))
		return
	}
	k, err := s.store.GrantKey(r.Context(), g, dev, s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerKeyRequest(w, r, k)
}
