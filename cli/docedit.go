package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"folio/app"
)

// This file holds the indexing clerk's page corrections and the QA list:
// `folio doc pages|turn|remove-page|restore-page|split|merge|collate` and
// `folio queue qa`.

// docEdit makes a command's RunE that runs edit in a logged-in session
// with the command's arguments and prints the document it returns, and
// what was done to it, as one line.
func docEdit(e *env, edit func(ctx context.Context, s *app.Session, args []string) (app.Document, string, error)) func(*cobra.Command, []string) error {
	return e.signedIn(func(cmd *cobra.Command, args []string, s *app.Session) error {
		d, what, err := edit(cmd.Context(), s, args)
		if err != nil {
			return err
		}
		printf(cmd.OutOrStdout(), "document %s: %s; now %s, %s\n", d.ID, what, pages(len(d.Pages)), d.Status)
		return nil
	})
}

// pageNumbers parses "3,1,2" (1-based) into 0-based page indexes.
func pageNumbers(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, usageError{fmt.Errorf("page list %q: give page numbers from 1, separated by commas", s)}
		}
		out = append(out, n-1)
	}
	return out, nil
}

func docEditCommands(e *env) []*cobra.Command {
	var order string
	pages := &cobra.Command{
		Use:   "pages ID --order 3,1,2",
		Short: "put a document's pages in a new order (every page once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			idx, err := pageNumbers(order)
			if err != nil {
				return err
			}
			return docEdit(e, func(ctx context.Context, s *app.Session, args []string) (app.Document, string, error) {
				d, err := s.Indexing().ReorderPages(ctx, args[0], idx)
				return d, "pages reordered", err
			})(cmd, args)
		},
	}
	pages.Flags().StringVar(&order, "order", "", "the current page numbers in the order wanted")
	_ = pages.MarkFlagRequired("order")

	var page, quarters int
	turn := &cobra.Command{
		Use:   "turn ID --page N [--quarters 1]",
		Short: "turn a page a quarter clockwise (--quarters -1: anticlockwise, 2: upside down)",
		Args:  cobra.ExactArgs(1),
		RunE: docEdit(e, func(ctx context.Context, s *app.Session, args []string) (app.Document, string, error) {
			d, err := s.Indexing().TurnPage(ctx, args[0], page-1, quarters)
			return d, fmt.Sprintf("page %d turned", page), err
		}),
	}
	turn.Flags().IntVar(&page, "page", 0, "the page number")
	turn.Flags().IntVar(&quarters, "quarters", 1, "quarter turns clockwise")
	_ = turn.MarkFlagRequired("page")

	remove := pageCommand(e, "remove-page", "take a page out of a document (a missed blank back, a stray sheet); it stays with the batch's original",
		"the page number", func(ctx context.Context, s *app.Session, id string, n int) (app.Document, string, error) {
			d, err := s.Indexing().RemovePage(ctx, id, n-1)
			return d, fmt.Sprintf("page %d removed", n), err
		})
	restore := pageCommand(e, "restore-page", "put a left-out page back into its document, where it was in the scanned file (N as `doc show` lists it: page 4 left out as blank)",
		"the page number in the scanned file", func(ctx context.Context, s *app.Session, id string, n int) (app.Document, string, error) {
			d, err := s.Documents().Open(ctx, id)
			if err != nil {
				return app.Document{}, "", err
			}
			k, err := leftOutIndex(d, n)
			if err != nil {
				return app.Document{}, "", err
			}
			line := d.Removed[k].LeftOutLine()
			d, err = s.Indexing().RestorePage(ctx, d.ID, k)
			return d, "restored " + line, err
		})

	var before int
	split := &cobra.Command{
		Use:   "split ID --before N",
		Short: "move pages N onwards into a new document, queued for filing",
		Args:  cobra.ExactArgs(1),
		RunE: docEdit(e, func(ctx context.Context, s *app.Session, args []string) (app.Document, string, error) {
			d, rest, err := s.Indexing().SplitDocument(ctx, args[0], before-1)
			return d, "split; the rest is document " + rest.ID, err
		}),
	}
	split.Flags().IntVar(&before, "before", 0, "the first page of the new document")
	_ = split.MarkFlagRequired("before")

	merge := &cobra.Command{
		Use:   "merge ID ID...",
		Short: "append the pages of the other documents, in order, to the first",
		Args:  cobra.MinimumNArgs(2),
		RunE: docEdit(e, func(ctx context.Context, s *app.Session, args []string) (app.Document, string, error) {
			d, err := s.Indexing().MergeDocuments(ctx, args)
			return d, fmt.Sprintf("%d documents merged into it", len(args)-1), err
		}),
	}

	collate := &cobra.Command{
		Use:   "collate FRONTS-ID BACKS-ID",
		Short: "merge two single-sided passes (fronts, then the stack turned over) into one document in page order",
		Args:  cobra.ExactArgs(2),
		RunE: docEdit(e, func(ctx context.Context, s *app.Session, args []string) (app.Document, string, error) {
			d, err := s.Indexing().CollateDuplex(ctx, args[0], args[1])
			return d, "duplex collated", err
		}),
	}
	return []*cobra.Command{pages, turn, remove, restore, split, merge, collate}
}

// pageCommand is a `folio doc` command on one page of a document:
// "NAME ID --page N"; do gets N as typed.
func pageCommand(e *env, name, short, pageHelp string, do func(ctx context.Context, s *app.Session, id string, n int) (app.Document, string, error)) *cobra.Command {
	var n int
	cmd := &cobra.Command{Use: name + " ID --page N", Short: short, Args: cobra.ExactArgs(1)}
	cmd.Flags().IntVar(&n, "page", 0, pageHelp)
	_ = cmd.MarkFlagRequired("page")
	cmd.RunE = docEdit(e, func(ctx context.Context, s *app.Session, args []string) (app.Document, string, error) {
		return do(ctx, s, args[0], n)
	})
	return cmd
}

// leftOutIndex finds the left-out page of d that is page n (1-based) of
// its scanned file.
func leftOutIndex(d app.Document, n int) (int, error) {
	var at []int
	var listed []string
	for k, p := range d.Removed {
		listed = append(listed, p.LeftOutLine())
		if p.Index == n-1 {
			at = append(at, k)
		}
	}
	switch {
	case len(d.Removed) == 0:
		return 0, app.Invalidf("document %s has no left-out pages", d.ID)
	case len(at) == 0:
		return 0, app.Invalidf("document %s has no left-out page %d; left out: %s", d.ID, n, strings.Join(listed, "; "))
	case len(at) > 1:
		return 0, app.Invalidf("document %s holds pages of several scanned files, and each has a left-out page %d; put one back in the window's indexing queue", d.ID, n)
	}
	return at[0], nil
}

// docListCommand is a `folio queue` listing: the QA list, the orphans.
func docListCommand(e *env, use, short string, list func(app.Indexing, context.Context) ([]app.Document, error)) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: e.signedIn(func(cmd *cobra.Command, _ []string, s *app.Session) error {
			docs, err := list(s.Indexing(), cmd.Context())
			if err != nil {
				return err
			}
			return printDocs(e, cmd, docs, asJSON)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
