package scan_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"folio/scan"
	"folio/scan/pageread"
)

// TestMain doubles as the scan worker: the pool tests start this test
// binary with FOLIO_SCAN_WORKER_TEST=1, and it serves as "folio scan-worker"
// does, reading with pageread's engine. FOLIO_SCAN_WORKER_TEST=stdout runs
// the stdout-protection check.
func TestMain(m *testing.M) {
	switch os.Getenv("FOLIO_SCAN_WORKER_TEST") {
	case "1":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := pageread.ServeWorker(ctx, os.Stdin, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "stdout":
		proto := scan.ProtectStdout(os.Stdout)
		fmt.Println("noise on fd 1")
		fmt.Fprint(proto, "protocol")
		os.Exit(0)
	}
	os.Exit(m.Run())
}
