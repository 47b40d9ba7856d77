package syncer_test

import (
	"strings"
	"testing"
	"time"

	"folio/syncer"
)

// The indicator's words: counts in good English, problems flagged.
func TestDescribe(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		s                    syncer.Status
		wantText, wantDetail string
		problem              bool
	}{
		{syncer.Status{State: syncer.StateUpToDate, LastSuccess: now}, "Up to date · ", "nothing to send", false},
		{syncer.Status{State: syncer.StateOffline, PendingChanges: 1, PendingBlobs: 3, LastSuccess: now},
			"Offline: the archive cannot be reached", "1 change and 3 scans to send; last synced", false},
		{syncer.Status{State: syncer.StateUpToDate, Conflicts: 1, LastSuccess: now}, "Up to date", "nothing to send; 1 record in conflict", true},
		{syncer.Status{State: syncer.StateUpToDate, Conflicts: 2, SetAside: 1}, "Up to date", "2 records in conflict; 1 incoming change was set aside", true},
		{syncer.Status{State: syncer.StateError, LastError: "the archive refused this workstation's certificate"}, "Sync problem: the archive refused", "nothing to send", true},
		{syncer.Status{State: syncer.StateNoArchive}, "Not connected to an archive", "", false},
	} {
		text, detail, problem := syncer.Describe(tc.s, now)
		if !strings.Contains(text, tc.wantText) || !strings.Contains(detail, tc.wantDetail) || problem != tc.problem {
			t.Errorf("Describe(%+v) = %q / %q / %v; want %q / %q / %v", tc.s, text, detail, problem, tc.wantText, tc.wantDetail, tc.problem)
		}
		if tc.wantDetail == "" && detail != "" {
			t.Errorf("Describe(%+v) detail %q, want none", tc.s, detail)
		}
	}
}
