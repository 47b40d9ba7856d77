package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"folio/storage"
)

// copyOthers copies what the data folder src holds besides the vault and
// the blob folder (copied their own way) into dst: its files (the archive
// enrollment and countersignature) and every subfolder with its files
// (the loaded code sets, codesets/SYSTEM/VERSION.gz), each folder fsynced
// once its files are in. Hidden and temporary files are left out, and
// anything that is neither a file nor a folder.
func copyOthers(src, dst string) error { return copyTree(src, dst, true) }

// copyTree is copyOthers of the folder src; top: it is the data folder.
func copyTree(src, dst string, top bool) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	for _, e := range ents {
		name := e.Name()
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		switch {
		case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp"):
			continue // others' temporary files
		case e.IsDir():
			if top && name == BlobDir {
				continue
			}
			if err := os.MkdirAll(to, 0o700); err != nil {
				return fmt.Errorf("back up %s: %w", from, err)
			}
			if err := copyTree(from, to, false); err != nil {
				return err
			}
		case !e.Type().IsRegular() || top && strings.HasPrefix(name, VaultFile):
			continue // the vault and its temporary files
		default:
			if err := storage.CopyFile(from, to); err != nil {
				return fmt.Errorf("back up %s: %w", from, err)
			}
		}
	}
	if err := storage.SyncDir(dst); err != nil {
		return fmt.Errorf("back up to %s: %w", dst, err)
	}
	return nil
}
