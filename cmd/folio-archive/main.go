// Command folio-archive is the organisation's Folio archive server and its
// administration: init, device add/revoke/list, status, serve. The commands
// live in package archivecmd; this file only hands them the process and
// turns SIGINT/SIGTERM into a graceful stop.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"folio/archive/archivecmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := archivecmd.Run(ctx, os.Args[1:], archivecmd.Params{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
