package syncer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"folio/archive/api"
	"folio/archive/pki"
	"folio/storage"
)

// EnrollmentFile is where a workstation keeps its enrollment, in its data
// folder (0600: it holds the device's private key, not patient data).
const EnrollmentFile = "enrollment.json"

// ErrNotEnrolled is returned when the workstation has no archive.
var ErrNotEnrolled = errors.New("this workstation is not enrolled with an archive: run 'folio sync enroll FILE' (or 'folio init --join FILE') with the file from 'folio-archive device add'")

// SaveEnrollment keeps an enrollment in the data folder dir. A file past
// its deadline for first use is refused (pki.ErrEnrollmentExpired): the
// archive would refuse it too.
func SaveEnrollment(dir string, e *pki.Enrollment) error {
	if err := e.CheckFresh(time.Now()); err != nil {
		return err
	}
	if err := e.WriteFile(filepath.Join(dir, EnrollmentFile)); err != nil {
		return fmt.Errorf("keep the enrollment in %s: %w", dir, err)
	}
	return nil
}

// LoadEnrollment reads the enrollment of the data folder dir, or
// ErrNotEnrolled.
func LoadEnrollment(dir string) (*pki.Enrollment, error) {
	e, err := pki.ReadEnrollment(filepath.Join(dir, EnrollmentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Enrolled reports whether the data folder dir has an enrollment.
func Enrolled(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, EnrollmentFile))
	return err == nil
}

// Connect returns a client for the vault in dir: its enrollment, the
// archive address setting when an administrator changed it (the archive
// moved), and the bandwidth cap setting.
func Connect(ctx context.Context, dir string, db *storage.DB, address string, opts ClientOptions) (*Client, *pki.Enrollment, error) {
	e, err := LoadEnrollment(dir)
	if err != nil {
		return nil, nil, err
	}
	if address != "" {
		if _, _, err := net.SplitHostPort(address); err == nil {
			e.Address = address
		}
	}
	if opts.BytesPerSecond == 0 {
		opts.BytesPerSecond = Bandwidth(ctx, db.Meta())
	}
	c, err := NewClient(e, api.DeviceID(db.DeviceID()), opts)
	if err != nil {
		return nil, nil, err
	}
	return c, e, nil
}
