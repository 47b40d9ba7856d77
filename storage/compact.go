package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
)

// scrubSuffix names the temporary file a scrub writes beside the vault:
// <vault>.scrubbing-<random hex>.
const scrubSuffix = ".scrubbing-"

// scrubTxSize bounds the bytes copied in one transaction of a scrub, so a
// large vault is not copied in one transaction's memory.
const scrubTxSize = 16 << 20

// scrub rewrites the vault file with its live data only, so that values
// deleted or overwritten before it (a removed key slot) are in no copy of
// the file made afterwards: bbolt leaves them in its free pages (and
// tx.WriteTo copies free pages as they are). It fails with an error
// wrapping app.ErrScrubPending; the commit that asked for it stands, and
// the flag it left (metaScrubPending) has the next Open try again.
//
// How: holding swap for writing (no transaction runs; commits wait and
// then go to the new file, so none is lost), it copies every bucket into a
// new bbolt file in the same folder (bolt.Compact, which writes only live
// keys and keeps bucket sequences), clears the flag there, syncs it,
// renames it over the vault, syncs the folder, and swaps the open file.
//
// Crash safety: until the rename the vault file is untouched, and still
// flagged, so a kill before it leaves the old file (scrubbed again at the
// next Open, which also removes the temporary file); the rename is atomic,
// so a kill after it leaves the whole new file. The new file is locked
// from its creation, so no other process finds the file at the vault's
// path unlocked; one that was waiting for the old file's lock notices the
// swap when it gets it (openCurrent) and opens the new file.
func (db *DB) scrub() error {
	db.swap.Lock()
	defer db.swap.Unlock()
	if err := db.rewrite(); err != nil {
		return fmt.Errorf("rewrite vault %s: %w (%w)", db.path, app.ErrScrubPending, err)
	}
	return nil
}

// rewrite does scrub's work; the caller holds swap for writing.
func (db *DB) rewrite() error {
	switch {
	case db.readOnly:
		return ErrReadOnly
	case db.damaged.Load():
		return corrupt(db.path, "damage was found earlier; writes are refused")
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := db.path + scrubSuffix + hex.EncodeToString(rnd[:])
	dst, err := openBolt(tmp, false, time.Second)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = dst.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := db.copyLive(dst); err != nil {
		return err
	}
	err = dst.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete([]byte(metaScrubPending))
	})
	if err == nil {
		err = dst.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, db.path)
	}
	if err != nil {
		return writeErr(db.path, err)
	}
	// From here the path names the new file: keep it, whatever follows.
	renamed = true
	old := db.bolt
	db.bolt = dst
	_ = old.Close()
	if err := syncDir(filepath.Dir(db.path)); err != nil {
		return writeErr(db.path, err)
	}
	return nil
}

// copyLive copies every bucket of the open file into dst, turning a panic
// or fault on a damaged page into ErrCorrupt.
func (db *DB) copyLive(dst *bolt.DB) (err error) {
	defer db.catch(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if err := bolt.Compact(dst, db.bolt, scrubTxSize); err != nil {
		return fmt.Errorf("copy the live data: %w", err)
	}
	return nil
}

// finishScrub runs at a writable Open, holding the file's lock (so no
// other process is scrubbing it): it removes the temporary files of a
// scrub that was killed, and scrubs when one is pending. A scrub that
// fails again leaves the flag set; the vault opens all the same, and
// Check reports the pending scrub.
func (db *DB) finishScrub() {
	dir, base := filepath.Split(db.path)
	if entries, err := os.ReadDir(filepath.Clean(dir)); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), base+scrubSuffix) {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	if db.scrubPending(context.Background()) {
		_ = db.scrub()
	}
}

// scrubPending reports whether a commit removed a secret that a scrub has
// not yet erased from the file.
func (db *DB) scrubPending(ctx context.Context) bool {
	_, err := db.Meta().GetMeta(ctx, metaScrubPending)
	return err == nil
}
