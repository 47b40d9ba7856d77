package cli

import (
	"context"
	"errors"
	"io"

	"folio/app"
	"folio/profile"
	"folio/syncer"
)

// reportDamagedScans prints a DAMAGED line for each document with
// missing or damaged scan files, saying whether the archive holds good
// copies, and with repair set replaces them with those copies. It returns
// how many documents are still damaged.
func reportDamagedScans(ctx context.Context, out io.Writer, s *app.Session, prof *profile.Profile, docs []app.DamagedDocument, repair bool) int {
	if len(docs) == 0 {
		return 0
	}
	copies, askErr := archiveCopies(ctx, s, prof, app.DamagedBlobs(docs), repair)
	left := 0
	for _, d := range docs {
		inArchive, repaired := true, true
		var unasked error // why the archive could not say
		for _, p := range d.Parts {
			c := copies[p.Blob]
			inArchive = inArchive && c.InArchive
			repaired = repaired && c.Repaired
			if c.Err != nil && !c.InArchive && !errors.Is(c.Err, syncer.ErrNotInArchive) && !errors.Is(c.Err, syncer.ErrNeverSent) {
				unasked = c.Err
			}
		}
		if askErr != nil {
			unasked = askErr
		}
		var what string
		switch {
		case repaired && askErr == nil:
			printLine(out, "REPAIRED:", d.String()+"; replaced with the archive's copy")
			continue
		case errors.Is(unasked, syncer.ErrNotEnrolled):
			what = "no archive to ask: restore the scans from a backup or import the paper again"
		case unasked != nil:
			what = "the archive could not be asked (" + unasked.Error() + "); run 'folio verify' again when it answers"
		case inArchive && repair:
			what = "the archive holds a good copy, but fetching it failed: run 'folio verify --repair' again"
		case inArchive:
			what = "the archive holds a good copy: run 'folio verify --repair' to fetch it"
		default:
			what = "the archive has no good copy of every file: restore the scans from a backup or import the paper again"
		}
		left++
		printLine(out, "DAMAGED:", d.String()+"; "+what)
	}
	return left
}

// archiveCopies asks the profile's archive which of the blob ids it holds
// (fetching them with repair); ErrNotEnrolled when there is no archive.
func archiveCopies(ctx context.Context, s *app.Session, prof *profile.Profile, ids []string, repair bool) (map[string]syncer.BlobRepair, error) {
	client, _, err := prof.SyncAdmin(nil).Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	eng := syncer.New(syncer.Params{DB: prof.DB, Blobs: prof.Blobs, Session: s.Replica(), Client: client})
	rs, err := eng.Blobs().Repair(ctx, ids, repair)
	out := make(map[string]syncer.BlobRepair, len(rs))
	for _, r := range rs {
		out[r.Blob] = r
	}
	return out, err
}
