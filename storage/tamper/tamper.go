// Package tamper edits a closed vault file the way someone holding the
// disk but no key can: it rewrites the audit chain with bbolt alone,
// recomputing every keyless link (storage.AuditLink) so each entry links to
// the one before, and seals forged events to the public key the file keeps
// in clear; DamageKeySlots spoils a key slot as a failing disk would.
// Tests use it to prove that verify and login catch each attack; nothing
// else may import it.
package tamper

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"folio/app"
	"folio/crypto"
	"folio/storage"
)

// The names an attacker reads off the file format (storage/doc.go).
var (
	bucketAudit       = []byte("audit")
	bucketCheckpoints = []byte("checkpoints")
	bucketMeta        = []byte("meta")
	metaAuditPublic   = []byte("vault/audit-public-key")
	auditContext      = []byte("folio audit event v1")
)

const hashLen = 32

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// edit opens the file at path with bbolt alone and runs fn in one write
// transaction.
func edit(path string, fn func(tx *bolt.Tx) error) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(fn)
}

// entries reads the whole chain as stored: seq → sealed event.
func entries(tx *bolt.Tx) (seqs []uint64, sealed [][]byte) {
	c := tx.Bucket(bucketAudit).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		seqs = append(seqs, binary.BigEndian.Uint64(k))
		sealed = append(sealed, bytes.Clone(v[hashLen:]))
	}
	return seqs, sealed
}

// rewrite replaces the chain by sealed, numbered 1, 2, 3 … and linked
// anew: every link holds, as it would after a careful attacker.
func rewrite(tx *bolt.Tx, sealed [][]byte) error {
	if err := tx.DeleteBucket(bucketAudit); err != nil {
		return err
	}
	b, err := tx.CreateBucket(bucketAudit)
	if err != nil {
		return err
	}
	var prev []byte
	for i, s := range sealed {
		seq := uint64(i + 1)
		h := storage.AuditLink(prev, seq, s)
		if err := b.Put(seqKey(seq), append(bytes.Clone(h), s...)); err != nil {
			return err
		}
		prev = h
	}
	return nil
}

// DeleteEntry removes audit entry seq (a break-glass, say), renumbers the
// later entries and links the chain anew.
func DeleteEntry(path string, seq uint64) error {
	return edit(path, func(tx *bolt.Tx) error {
		seqs, sealed := entries(tx)
		if seq == 0 || seq > uint64(len(seqs)) {
			return fmt.Errorf("no audit entry %d", seq)
		}
		return rewrite(tx, append(sealed[:seq-1], sealed[seq:]...))
	})
}

// InsertForged seals e to the vault's audit public key (read from the
// file) and inserts it as entry at, renumbering and re-linking the rest.
func InsertForged(path string, at uint64, e app.AuditEvent) error {
	return edit(path, func(tx *bolt.Tx) error {
		pub := tx.Bucket(bucketMeta).Get(metaAuditPublic)
		sealer, err := crypto.NewAuditSealer(bytes.Clone(pub))
		if err != nil {
			return err
		}
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		forged, err := sealer.Seal(data, auditContext)
		if err != nil {
			return err
		}
		_, sealed := entries(tx)
		if at == 0 || at > uint64(len(sealed))+1 {
			return fmt.Errorf("cannot insert at %d", at)
		}
		out := append(append(append([][]byte{}, sealed[:at-1]...), forged), sealed[at-1:]...)
		return rewrite(tx, out)
	})
}

// Truncate removes the last n audit entries and every checkpoint beyond
// the new end.
func Truncate(path string, n int) error {
	return edit(path, func(tx *bolt.Tx) error {
		_, sealed := entries(tx)
		if n > len(sealed) {
			return fmt.Errorf("the chain has only %d entries", len(sealed))
		}
		keep := sealed[:len(sealed)-n]
		cps := tx.Bucket(bucketCheckpoints)
		var drop [][]byte
		c := cps.Cursor()
		for k, _ := c.Seek(seqKey(uint64(len(keep)) + 1)); k != nil; k, _ = c.Next() {
			drop = append(drop, bytes.Clone(k))
		}
		for _, k := range drop {
			if err := cps.Delete(k); err != nil {
				return err
			}
		}
		return rewrite(tx, keep)
	})
}

// DeleteCheckpoints removes every signed checkpoint of the audit chain.
func DeleteCheckpoints(path string) error {
	return edit(path, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketCheckpoints); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketCheckpoints)
		return err
	})
}

// CountEntries returns how many audit entries the file holds.
func CountEntries(path string) (n uint64, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		n = uint64(tx.Bucket(bucketAudit).Stats().KeyN)
		return nil
	})
	return n, err
}

// DamageKeySlots changes one byte in the middle of each of user's key
// slots, as a bad sector or a failing disk would: no key is needed, and
// none of the slots opens any more.
func DamageKeySlots(path, user string) error {
	return edit(path, func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		prefix := []byte("slot/user/" + user + "/")
		damaged := map[string][]byte{}
		c := meta.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			slot := bytes.Clone(v)
			slot[len(slot)/2] ^= 0x01
			damaged[string(k)] = slot
		}
		if len(damaged) == 0 {
			return fmt.Errorf("no key slot of %s in %s", user, path)
		}
		for k, v := range damaged {
			if err := meta.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// SpoilCheckpointsPage overwrites the page that holds the signed
// checkpoints with zeros, as a bad sector would: the rest of the file
// reads as before. It fails when the checkpoints still fit inline in their
// parent's page (a young vault).
func SpoilCheckpointsPage(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	var root uint64
	err = db.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket(bucketCheckpoints).Root())
		return nil
	})
	size := db.Info().PageSize
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if root == 0 {
		return fmt.Errorf("the checkpoints of %s are inline: no page of their own to spoil", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(make([]byte, size), int64(root)*int64(size)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DamageRecord changes one byte in the middle of the newest stored version
// of the record kind/id, as a failing disk or someone editing the file
// without the keys would: the version no longer opens.
func DamageRecord(path string, kind app.Kind, id string) error {
	return edit(path, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("versions"))
		prefix := []byte(string(kind) + "\x00" + id + "\x00")
		var last []byte
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			last = bytes.Clone(k)
		}
		if last == nil {
			return fmt.Errorf("no record %s/%s in %s", kind, id, path)
		}
		v := bytes.Clone(b.Get(last))
		v[len(v)/2] ^= 0x01
		return b.Put(last, v)
	})
}
