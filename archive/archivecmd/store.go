package archivecmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"folio/archive"
	"folio/archive/boltstore"
	"folio/archive/pgstore"
	"folio/archive/pki"
)

// Conditions of the store the read-only commands branch on.
var (
	// errStoreBusy: a running archive server holds the embedded store.
	errStoreBusy = errors.New("the archive server is running and holds the store")
	// errNoStore: the archive has not served yet, so there is no store.
	errNoStore = errors.New("the archive has no store yet (it has not served)")
)

// isPostgres reports whether spec names a PostgreSQL store.
func isPostgres(spec string) bool {
	return strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://")
}

// checkStoreSpec refuses a --store the binary cannot open, before anything
// else is done.
func checkStoreSpec(spec string) error {
	if spec == "" || isPostgres(spec) {
		return nil
	}
	return usagef("--store %q: give a postgres://… URL, or leave --store out for the embedded store in DIR/store", redactURL(spec))
}

// openStore opens the archive's store: the embedded bbolt store in
// DIR/store when spec is empty, PostgreSQL for a postgres:// URL.
func openStore(ctx context.Context, dataDir, spec string) (archive.Store, error) {
	if err := checkStoreSpec(spec); err != nil {
		return nil, err
	}
	if isPostgres(spec) {
		s, err := pgstore.Open(ctx, spec)
		if err != nil {
			// pgx lists each address it tried on a line of its own.
			msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
			return nil, fmt.Errorf("--store %s: %s", redactURL(spec), msg)
		}
		return s, nil
	}
	return boltstore.Open(storeDir(dataDir))
}

// describeStore names the store for people (no password).
func describeStore(dataDir, spec string) string {
	if isPostgres(spec) {
		return "PostgreSQL " + redactURL(spec)
	}
	return "embedded (bbolt) in " + storeDir(dataDir)
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// storeLockWait is how long status and device list wait for the embedded
// store's lock before concluding that the server holds it.
const storeLockWait = 200 * time.Millisecond

// openStoreToRead opens the store for status and device list without
// creating one and without waiting on a running server: errNoStore when
// the embedded store does not exist yet, errStoreBusy when a server holds
// it (bbolt allows one process at a time).
func openStoreToRead(ctx context.Context, dataDir, spec string) (archive.Store, error) {
	if spec != "" {
		return openStore(ctx, dataDir, spec)
	}
	// boltstore.Open waits seconds for the lock and creates what is
	// missing; probe the file first, read-only, briefly.
	path := filepath.Join(storeDir(dataDir), "archive.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, errNoStore
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: storeLockWait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, errStoreBusy
	}
	if err != nil {
		return nil, fmt.Errorf("open archive store %s: %w", path, err)
	}
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("open archive store %s: %w", path, err)
	}
	return openStore(ctx, dataDir, "")
}

// registry is what the list and status commands start from: the archive's
// organisation and its enrolled devices, once the store spec is checked.
func (e *env) registry(spec string) (*pki.Org, []pki.Device, error) {
	dir, org, err := e.pkiDir()
	if err != nil {
		return nil, nil, err
	}
	if err := checkStoreSpec(spec); err != nil {
		return nil, nil, err
	}
	devs, err := pki.Devices(dir)
	if err != nil {
		return nil, nil, err
	}
	return org, devs, nil
}
