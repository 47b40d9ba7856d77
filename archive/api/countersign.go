package api

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
)

// ErrCountersignature is a countersignature that does not verify: not
// signed by an archive certificate of the organisation, or not over what
// it states.
var ErrCountersignature = errors.New("the archive's countersignature does not verify")

// CheckCountersignature checks cs's signature with cert's key: SHA-256 of
// CountersignMessage for ECDSA and RSA keys, the message itself for
// Ed25519 (how the archive signs).
func CheckCountersignature(cert *x509.Certificate, cs Countersignature) error {
	msg := CountersignMessage(cs.Device, cs.Seq, cs.Hash, cs.Time)
	ok := false
	switch pub := cert.PublicKey.(type) {
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, msg, cs.Signature)
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(msg)
		ok = ecdsa.VerifyASN1(pub, sum[:], cs.Signature)
	default:
		ok = cert.CheckSignature(x509.SHA256WithRSA, msg, cs.Signature) == nil
	}
	if !ok {
		return ErrCountersignature
	}
	return nil
}

// VerifyCountersignature checks a countersignature as a workstation does:
// the certificate it carries is an archive server certificate issued by
// the organisation's CA ca (from the workstation's enrollment), and the
// signature verifies with its key. Expiry is not held against it: a
// countersignature stays evidence after its certificate is renewed.
// Failures wrap ErrCountersignature.
func VerifyCountersignature(ca *x509.Certificate, cs Countersignature) error {
	if len(cs.Certificate) == 0 {
		return fmt.Errorf("%w: it carries no archive certificate", ErrCountersignature)
	}
	cert, err := x509.ParseCertificate(cs.Certificate)
	if err != nil {
		return fmt.Errorf("%w: its certificate does not parse: %v", ErrCountersignature, err)
	}
	if err := cert.CheckSignatureFrom(ca); err != nil {
		return fmt.Errorf("%w: its certificate was not issued by the organisation's CA", ErrCountersignature)
	}
	server := false
	for _, u := range cert.ExtKeyUsage {
		server = server || u == x509.ExtKeyUsageServerAuth
	}
	if !server {
		return fmt.Errorf("%w: its certificate is not the archive server's", ErrCountersignature)
	}
	return CheckCountersignature(cert, cs)
}
