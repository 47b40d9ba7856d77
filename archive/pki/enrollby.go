package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"
)

// An enrollment file is short-lived: its certificate carries the deadline
// for its first use (an X.509 extension, signed by the CA with the rest of
// the certificate). The archive refuses a certificate's first use after it
// (archive.CheckFirstUse); a workstation refuses to take an expired file
// (Enrollment.CheckFresh). Once used in time the certificate works until
// it expires or is revoked. Certificates made before the deadline existed
// have none.

// DefaultEnrollWindow is how long a new enrollment file may wait for its
// first use.
const DefaultEnrollWindow = 72 * time.Hour

// oidEnrollBy names the deadline extension: Folio's own, under 2.25 (the
// arc that needs no registration) with random arcs (each under 2³¹, as Go's
// x509 parser requires).
var oidEnrollBy = asn1.ObjectIdentifier{2, 25, 1729348211, 641723081, 1}

// ErrEnrollmentExpired: the enrollment file's deadline for its first use
// has passed.
var ErrEnrollmentExpired = errors.New("the enrollment file has expired")

func enrollByExtension(t time.Time) (pkix.Extension, error) {
	v, err := asn1.MarshalWithParams(t.UTC().Truncate(time.Second), "generalized")
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encode the enrollment deadline: %w", err)
	}
	return pkix.Extension{Id: oidEnrollBy, Value: v}, nil
}

// EnrollBy returns the deadline for the certificate's first use, or the
// zero time when it has none (or an unreadable one: the CA signed it, so
// that is an older format, not an attack).
func EnrollBy(cert *x509.Certificate) time.Time {
	for _, e := range cert.Extensions {
		if !e.Id.Equal(oidEnrollBy) {
			continue
		}
		var t time.Time
		if rest, err := asn1.UnmarshalWithParams(e.Value, &t, "generalized"); err == nil && len(rest) == 0 {
			return t.UTC()
		}
	}
	return time.Time{}
}

// EnrollBy is the deadline for the enrollment's first use (zero: none).
func (e *Enrollment) EnrollBy() time.Time { return EnrollBy(e.Cert) }

// CheckFresh refuses an enrollment file whose deadline has passed at now:
// the archive would refuse it too; the administrator makes a new one.
func (e *Enrollment) CheckFresh(now time.Time) error {
	if by := e.EnrollBy(); !by.IsZero() && now.After(by) {
		return fmt.Errorf("%w: the file for %s had to be used by %s: ask the archive's administrator for a new one ('folio-archive device revoke --name %s', then 'folio-archive device add --name %s')",
			ErrEnrollmentExpired, e.Device, by.Local().Format("2006-01-02 15:04"), e.Device, e.Device)
	}
	return nil
}
