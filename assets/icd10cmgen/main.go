// Command icd10cmgen writes assets/icd10cm_fy2022.tsv.gz, the ICD-10-CM code
// set Folio embeds, from the project's shared corpus copy of the CDC FY2022
// order file (../shared/corpus/icd10cm/icd10cm_order_fy2022.tsv.gz, see its
// SOURCE.md and assets/NOTICE.md).
//
// It checks the source's SHA-256 (of the decompressed TSV) against the one
// recorded here, keeps the columns Folio reads (the dotted code, billable,
// short and long descriptions, POA-exempt flag, AHRQ chronic indicator), in
// the order file's own order, and compresses them with gzip at the best
// compression, without a name or a time in the header, so the same source
// gives the same bytes. Run it with `go generate ./assets`.
package main

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// sourceSHA256 is the SHA-256 of the decompressed source TSV, as its
// SOURCE.md records it.
const sourceSHA256 = "bab67d81614f39d023eb9e96c88d72bd4552e52d2439aaee7dff6fd74a5a98ab"

// in is the source's header; out, the embedded file's.
var (
	inHeader  = []string{"order", "code", "code_dotted", "billable", "short_description", "long_description", "poa_exempt", "chronic_indicator"}
	outHeader = []string{"code", "billable", "short_description", "long_description", "poa_exempt", "chronic_indicator"}
)

func main() {
	in := flag.String("in", "../../shared/corpus/icd10cm/icd10cm_order_fy2022.tsv.gz", "the source order file (gzip TSV)")
	out := flag.String("out", "icd10cm_fy2022.tsv.gz", "the file to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "icd10cmgen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("%w (the shared corpus is beside the repository, in ../shared/corpus)", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	src, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	sum := sha256.Sum256(src)
	if got := hex.EncodeToString(sum[:]); got != sourceSHA256 {
		return fmt.Errorf("%s: SHA-256 %s, not the recorded %s: a different file (update sourceSHA256 and assets/NOTICE.md only for a source you have checked)", in, got, sourceSHA256)
	}
	tsv, err := convert(string(src))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	tmp := out + ".tmp"
	w, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	if _, err := bw.WriteString(tsv); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// convert keeps the columns of outHeader from the source's rows, in order.
func convert(src string) (string, error) {
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	if strings.Join(strings.Split(lines[0], "\t"), ",") != strings.Join(inHeader, ",") {
		return "", fmt.Errorf("header %q, expected %q", lines[0], strings.Join(inHeader, "\t"))
	}
	var b strings.Builder
	b.Grow(len(src))
	b.WriteString(strings.Join(outHeader, "\t") + "\n")
	for i, line := range lines[1:] {
		c := strings.Split(line, "\t")
		if len(c) != len(inHeader) {
			return "", fmt.Errorf("line %d: %d columns, expected %d", i+2, len(c), len(inHeader))
		}
		b.WriteString(strings.Join([]string{c[2], c[3], c[4], c[5], c[6], c[7]}, "\t") + "\n")
	}
	return b.String(), nil
}
