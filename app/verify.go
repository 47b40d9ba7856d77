package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// VerifyReport is what `folio verify` found. OK when Problems and Damaged
// are empty.
type VerifyReport struct {
	IntegrityReport
	Patients int
	Users    int
	// Scans is how many scan files were read and authenticated (0 for
	// VerifyQuick); Damaged are the documents with missing or damaged ones.
	Scans   int
	Damaged []DamagedDocument
	// SignedNotes is what the check of every signed note found
	// (verifynotes.go).
	SignedNotes NoteCheck
}

// OK reports whether the vault passed every check.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 && len(r.Damaged) == 0 }

// Verify is VerifyQuick plus a read of every scan file (originals, page
// images, page text, thumbnails, word boxes), each authenticated whole:
// missing and damaged ones are reported by document (Damaged).
func (au Audit) Verify(ctx context.Context) (VerifyReport, error) {
	return au.verify(ctx, true)
}

// VerifyQuick checks the whole vault: the file's consistency, that every
// version decrypts where it stands, that every patient's index entries
// match its current record, that every audit event opens, and that the
// audit chain matches its keyed head and holds every checkpoint it counts.
// It signs a fresh checkpoint first (none when the trail no longer matches
// its keyed head), then checks, and audits the result. Scan files are
// not read (see Verify).
//
// Verify's own writes (that checkpoint, the audit event of its result) are
// not what it checks: when one fails (a damaged file that refuses writes,
// a full disk), every check still runs and the failed write is one of the
// problems, since a vault that cannot seal its trail needs attention like
// any other finding. An error is returned only when verify could not check
// (not allowed, locked, stopped, the file unreadable as a whole): for the
// command line, exit 1 means "could not check", 4 "checked, found problems".
func (au Audit) VerifyQuick(ctx context.Context) (VerifyReport, error) {
	return au.verify(ctx, false)
}

func (au Audit) verify(ctx context.Context, scans bool) (VerifyReport, error) {
	ctx, err := au.s.require(ctx, PermVerify, ActVaultVerify, "")
	if err != nil {
		return VerifyReport{}, err
	}
	keys, err := au.s.keyring()
	if err != nil {
		return VerifyReport{}, err
	}
	// A trail that no longer matches its keyed head (ErrTampered) is
	// reported by the chain check below.
	cperr := au.s.Checkpoint(ctx)
	if cperr != nil && (ctx.Err() != nil || errors.Is(cperr, ErrLocked)) {
		return VerifyReport{}, cperr
	}
	ir, err := au.s.v.cfg.Integrity.CheckIntegrity(ctx, keys.RecordAEAD(), keys.Verify)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	r := VerifyReport{IntegrityReport: ir}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	if cperr != nil && !errors.Is(cperr, ErrTampered) {
		problem("the audit trail could not be sealed with a new checkpoint: %v", cperr)
	}

	for rec, err := range au.s.records.Heads(ctx, KindPatient) {
		if err != nil {
			problem("patient records: %v", err)
			continue
		}
		r.Patients++
		p, err := decodePatient(rec)
		if err != nil {
			problem("%v", err)
			continue
		}
		w, err := au.s.encode.patient(p, Version{})
		if err != nil {
			return r, err
		}
		stored, err := au.s.records.Tokens(ctx, KindPatient, rec.ID)
		if err != nil {
			problem("patient %s: index: %v", rec.ID, err)
			continue
		}
		if !sameTokens(w.Tokens, stored) {
			problem("patient %s (%s): index entries do not match the record", rec.ID, p.MRN)
		}
	}
	for _, err := range au.s.records.Heads(ctx, KindUser) {
		if err != nil {
			problem("user records: %v", err)
			continue
		}
		r.Users++
	}
	for entry, err := range au.s.v.cfg.Audit.AuditEntries(ctx) {
		if err != nil {
			problem("audit trail: %v", err)
			continue
		}
		if _, err := openEvent(keys, entry); err != nil {
			problem("%v", err)
		}
	}
	if d := lockedDetail(au.s.unsignedAtLogin); d != "" {
		r.Notes = append(r.Notes, "this sign-in "+d+" (failed sign-ins, sync): they were not signed before it")
	}
	au.checkCountersigned(ctx, &r)
	au.checkNotes(ctx, &r)
	stored, err := au.s.v.cfg.Meta.GetMeta(ctx, metaAuditKey)
	if own, kerr := keys.AuditPublicKey(); err != nil || kerr != nil || !bytes.Equal(stored, own) {
		problem("the stored audit public key is not this vault's: events could be sealed to another key")
	}
	if scans {
		if r.Damaged, r.Scans, err = au.checkScans(ctx); err != nil {
			return r, fmt.Errorf("verify scans: %w", err)
		}
	}
	outcome, detail := OutcomeOK, "no problems"
	if !r.OK() {
		outcome, detail = OutcomeFailed, fmt.Sprintf("%d problems, %d documents with damaged scans", len(r.Problems), len(r.Damaged))
	}
	if err := au.s.audit(ctx, AuditEvent{Action: ActVaultVerify, Outcome: outcome, Detail: detail}); err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		problem("the result of this check could not be written to the audit trail: %v", err)
	}
	return r, nil
}

// checkCountersigned compares the audit trail with the archive's latest
// countersignature of it (Config.Witness): the entry it names must be here
// with the hash it names. A trail that ends before it is an earlier copy
// of the vault (a rollback, or a backup restored and not yet synced) or
// one cut short; a different hash is a trail rewritten after it was sent.
// The file alone cannot show either: an earlier copy carries an older,
// authentic keyed head.
func (au Audit) checkCountersigned(ctx context.Context, r *VerifyReport) {
	if au.s.v.cfg.Witness == nil {
		return
	}
	cs, ok, err := au.s.v.cfg.Witness.LatestCountersignature(ctx)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("the archive's countersignature of this workstation's audit trail: %v", err))
		return
	}
	if !ok {
		return
	}
	at := cs.Time.UTC().Format(time.RFC3339)
	var (
		entry AuditEntry
		found bool
	)
	for e, err := range au.s.v.cfg.Audit.AuditEntriesFrom(ctx, cs.Seq) {
		if err == nil && e.Seq == cs.Seq {
			entry, found = e, true
		}
		break
	}
	head, _ := au.s.v.cfg.Audit.AuditHead(ctx)
	switch {
	case !found && head.Seq < cs.Seq:
		r.Problems = append(r.Problems, fmt.Sprintf("ROLLED BACK: the archive countersigned this workstation's audit trail through entry %d on %s, but this vault's trail ends at entry %d: this is an earlier copy of the vault (rolled back, or a backup restored) or its newest entries were removed; sync to fetch them back from the archive, and report this unless someone restored a backup", cs.Seq, at, head.Seq))
	case !found:
		r.Problems = append(r.Problems, fmt.Sprintf("audit entry %d, which the archive countersigned on %s, is missing or damaged here", cs.Seq, at))
	case !bytes.Equal(entry.Hash, cs.Hash):
		r.Problems = append(r.Problems, fmt.Sprintf("the audit trail differs from what the archive countersigned on %s at entry %d: it was rewritten after it was sent, or this is an earlier copy of the vault that went on working; sync to fetch the archive's copy back, and report this", at, cs.Seq))
	default:
		r.Notes = append(r.Notes, fmt.Sprintf("the archive countersigned this audit trail through entry %d on %s: it matches", cs.Seq, at))
	}
}

func sameTokens(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, bytes.Compare)
	slices.SortFunc(b, bytes.Compare)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
