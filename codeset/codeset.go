// Package codeset holds one medical code set in memory — ICD-10-CM as Folio
// ships it, or another an organisation loads from a file — and searches it
// as a coder types.
//
// Invariants:
//   - A Set never changes once Open has returned it: any number of goroutines
//     may search it at once, and it holds no lock.
//   - Every Code carries the system and version of its set ("ICD-10-CM",
//     "FY2022"), so a record that keeps a Code keeps where it came from.
//   - Codes compare without their dot and without case: "J18.9", "j189" and
//     "J189" are the same code; a Code is printed as its file gives it.
//   - Results come in relevance tiers (how they matched, how much of the
//     description the query covers, whether it starts with a word typed:
//     Hit), and within a tier in the code set's own order, the order of its
//     file (for ICD-10-CM, the tabular order of CDC's order file: C4A comes
//     after C43).
//   - A category header (Billable false) is found and shown like any code,
//     but Assignable refuses it.
//   - The package keeps no state of its own: the embedded code set is parsed
//     by ICD10CM on each call, or once per Lazy value.
package codeset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"folio/assets"
)

// The system and version of the code set Folio ships.
const (
	ICD10CMSystem  = "ICD-10-CM"
	ICD10CMVersion = "FY2022"
)

// Chronicity is the AHRQ Chronic Condition Indicator of an ICD-10-CM code
// (HCUP CCI for ICD-10-CM, v2021.1), as the shipped code set has it.
type Chronicity byte

const (
	ChronicityUnknown Chronicity = 0   // not given (category headers, other code sets)
	Acute             Chronicity = 'A' // an acute condition
	Chronic           Chronicity = 'C' // a chronic condition
	AcuteOrChronic    Chronicity = 'B' // may be either
	NotApplicable     Chronicity = 'N' // neither (injuries, encounters, symptoms…)
)

// Code is one entry of a code set: a code that may be assigned, or a category
// header that groups codes and may not.
type Code struct {
	System   string // "ICD-10-CM"
	Version  string // "FY2022"
	Code     string // as printed: "J18.9"
	Billable bool   // valid to assign (HIPAA-valid); false for a category header
	Short    string // short description, at most 60 characters in ICD-10-CM
	Long     string // full description
	// POAExempt is true for a code exempt from present-on-admission
	// reporting (CDC's POA-exempt list).
	POAExempt bool
	Chronic   Chronicity
}

// Assignable reports whether the code may be assigned to a diagnosis: it is
// a code, not a category header.
func (c Code) Assignable() bool { return c.Billable }

// Key is the code in the form codes compare by: upper case, no dot.
func (c Code) Key() string { return Normalize(c.Code) }

func (c Code) String() string { return c.Code + " " + c.Long }

// Errors callers branch on.
var (
	// ErrUnknownCode: the code is well formed but not in the code set.
	ErrUnknownCode = errors.New("unknown code")
	// ErrMalformedCode: what was typed cannot be a code of the set.
	ErrMalformedCode = errors.New("malformed code")
	// ErrNotAssignable: the code is a category header, not a code that may
	// be assigned.
	ErrNotAssignable = errors.New("not an assignable code")
	// ErrBadFile: a code set file could not be read (see FileError).
	ErrBadFile = errors.New("not a code set file")
)

// MalformedCodeError says why what was typed cannot be a code.
type MalformedCodeError struct {
	Code   string // as typed
	System string
	Reason string // a sentence a coder understands
}

func (e *MalformedCodeError) Error() string {
	if e.Code == "" {
		return e.Reason
	}
	return fmt.Sprintf("%q is not %s %s code: %s", e.Code, article(e.System), e.System, e.Reason)
}

// article is "an" before a name read with a vowel first (an ICD-10-CM
// code), else "a".
func article(name string) string {
	if name != "" && strings.ContainsRune("AEIOUaeiou", rune(name[0])) {
		return "an"
	}
	return "a"
}

func (e *MalformedCodeError) Unwrap() error { return ErrMalformedCode }

// UnknownCodeError says that a well-formed code is not in the set, and
// which code of the set comes nearest (the longest one it starts with).
type UnknownCodeError struct {
	Code            string // as typed
	System, Version string
	Nearest         *Code // nil when no code shares its start
}

func (e *UnknownCodeError) Error() string {
	msg := fmt.Sprintf("%s is not a code in %s %s", e.Code, e.System, e.Version)
	if e.Nearest != nil {
		msg += fmt.Sprintf(" (the nearest is %s, %s)", e.Nearest.Code, e.Nearest.Long)
	}
	return msg
}

func (e *UnknownCodeError) Unwrap() error { return ErrUnknownCode }

// FileError is a fault in a code set file: the line it is on (1 is the
// header) and what is wrong with it.
type FileError struct {
	Line int
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line == 0 {
		return "code set file: " + e.Msg
	}
	return fmt.Sprintf("code set file, line %d: %s", e.Line, e.Msg)
}

func (e *FileError) Unwrap() error { return ErrBadFile }

// entry is one code as the Set keeps it; its strings are slices of the one
// string the file was read into.
type entry struct {
	key, code   string
	short, long string
	billable    bool
	poaExempt   bool
	chronic     Chronicity
}

// Set is a code set, read-only once opened; its methods are safe for
// concurrent use.
type Set struct {
	system, version string
	ents            []entry // the file's order: code order
	byKey           []int32 // indices of ents sorted by key, for prefixes and lookup
	idx             index
}

// System is the set's system name ("ICD-10-CM").
func (s *Set) System() string { return s.system }

// Version is the set's version ("FY2022").
func (s *Set) Version() string { return s.version }

// Len is the number of entries, codes and category headers.
func (s *Set) Len() int { return len(s.ents) }

func (s *Set) code(i int32) Code {
	e := &s.ents[i]
	return Code{System: s.system, Version: s.version, Code: e.code, Billable: e.billable,
		Short: e.short, Long: e.long, POAExempt: e.poaExempt, Chronic: e.chronic}
}

// ICD10CM parses the ICD-10-CM code set embedded in Folio (FY2022). Each
// call parses it anew (see BenchmarkLoad for the time): keep the Set, or
// hold a Lazy.
func ICD10CM() (*Set, error) {
	z := assets.ICD10CMFY2022
	size := 0
	if n := len(z); n > 4 { // gzip's trailer ends with the uncompressed size
		size = int(binary.LittleEndian.Uint32(z[n-4:]))
	}
	return open(bytes.NewReader(z), ICD10CMSystem, ICD10CMVersion, size)
}

// Lazy opens a code set the first time it is asked for, once, and keeps it.
// The zero value opens the embedded ICD-10-CM; set Load for another.
type Lazy struct {
	Load func() (*Set, error) // nil: ICD10CM

	once sync.Once
	set  *Set
	err  error
}

// Set returns the code set, opening it on the first call.
func (l *Lazy) Set() (*Set, error) {
	l.once.Do(func() {
		load := l.Load
		if load == nil {
			load = ICD10CM
		}
		l.set, l.err = load()
	})
	return l.set, l.err
}

// Open reads a code set of the given system and version from r, plain or
// gzip-compressed, in one of two formats:
//
//   - Tab-separated, with a header line naming its columns: code (dotted
//     or not), billable (1 for a code that may be assigned, 0 for a category
//     header) and short_description or long_description or both are
//     required; code_dotted (the code as printed), poa_exempt (Y or N) and
//     chronic_indicator (A, B, C or N) are read when present; other columns
//     (order) are ignored. This is the shipped file's format and the shared
//     corpus's.
//   - CDC's fixed-width ICD-10-CM order file (icd10cm-order-YYYY.txt: order
//     number, code, billable flag, short and long description), so a clinic
//     can load a newer year as CDC publishes it.
//
// The file's order is the order results are shown in. Every line is checked:
// a fault is a *FileError naming the line and what is wrong.
func Open(r io.Reader, system, version string) (*Set, error) {
	return open(r, system, version, 0)
}

// open is Open with the size of the text when known (0 if not).
func open(r io.Reader, system, version string, size int) (*Set, error) {
	system, version = strings.TrimSpace(system), strings.TrimSpace(version)
	if system == "" {
		return nil, &FileError{Msg: "no system name given (e.g. ICD-10-CM, ICD-10, ICD-11)"}
	}
	if version == "" {
		return nil, &FileError{Msg: "no version given (e.g. FY2022, 2019)"}
	}
	br := bufio.NewReader(r)
	what := "reading it"
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FileError{Msg: "it looks gzip-compressed but is not: " + err.Error()}
		}
		defer zr.Close()
		r, what = zr, "uncompressing it (gzip)"
	} else {
		r = br
	}
	text, err := readAll(r, size)
	if err != nil {
		return nil, &FileError{Msg: what + ": " + err.Error()}
	}
	s := &Set{system: system, version: version}
	lines, err := s.parse(text)
	if err != nil {
		return nil, err
	}
	if err := s.sortKeys(lines); err != nil {
		return nil, err
	}
	s.idx.build(s.ents)
	return s, nil
}

// MaxFileSize is the largest code set Open reads, uncompressed: ten times
// ICD-10-CM's 13 MB.
const MaxFileSize = 128 << 20

// readAll reads r into one string, its buffer doubling as it fills (the
// string the Set's entries are slices of), and refuses more than
// MaxFileSize.
func readAll(r io.Reader, size int) (string, error) {
	var text strings.Builder
	text.Grow(min(max(size+1, 64<<10), MaxFileSize+1))
	r = io.LimitReader(r, MaxFileSize+1)
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if text.Cap()-text.Len() < n {
				text.Grow(text.Cap())
			}
			text.Write(buf[:n])
		}
		if text.Len() > MaxFileSize {
			return "", fmt.Errorf("it is larger than %d MB, too large for a code set", MaxFileSize>>20)
		}
		if err == io.EOF {
			return text.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// columns of the tab-separated format.
type columns struct {
	n                                               int
	code, dotted, billable, short, long, poa, chron int
}

func (s *Set) parse(text string) (lines []int32, err error) {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	first, _, _ := strings.Cut(text, "\n")
	if strings.TrimSpace(first) == "" {
		return nil, &FileError{Line: 1, Msg: "the file is empty, or its first line is: it should name the columns (code, billable, short_description, long_description …)"}
	}
	if !strings.Contains(first, "\t") {
		if isCDCOrderLine(first) {
			return s.parseCDC(text)
		}
		return nil, &FileError{Line: 1, Msg: "neither a tab-separated header (code, billable, short_description …) nor a line of CDC's order file (order number, code, billable flag, descriptions)"}
	}
	cols, err := readHeader(first)
	if err != nil {
		return nil, err
	}
	s.ents = make([]entry, 0, strings.Count(text, "\n"))
	var f [16]string
	var keys keyArena
	keys.grow(len(text) / 16)
	rest := text[len(first)+1:]
	for line := 2; rest != ""; line++ {
		l, next, _ := strings.Cut(rest, "\n")
		rest = next
		l = strings.TrimSuffix(l, "\r")
		if l == "" {
			continue
		}
		n := split(l, f[:cols.n+1])
		if n != cols.n {
			return nil, &FileError{Line: line, Msg: fmt.Sprintf("%d columns, but the header names %d (columns are separated by tabs)", n, cols.n)}
		}
		var e entry
		if err := s.fill(&e, line, f[cols.code], &keys); err != nil {
			return nil, err
		}
		if cols.dotted >= 0 {
			d := strings.TrimSpace(f[cols.dotted])
			if Normalize(d) != Normalize(e.code) {
				return nil, &FileError{Line: line, Msg: fmt.Sprintf("code_dotted %q is not the code %q", d, f[cols.code])}
			}
			e.code = d
		}
		switch b := strings.TrimSpace(f[cols.billable]); b {
		case "1":
			e.billable = true
		case "0":
		default:
			return nil, &FileError{Line: line, Msg: fmt.Sprintf("billable is %q: it must be 1 (a code that may be assigned) or 0 (a category header)", b)}
		}
		if cols.short >= 0 {
			e.short = strings.TrimSpace(f[cols.short])
		}
		if cols.long >= 0 {
			e.long = strings.TrimSpace(f[cols.long])
		}
		if e.short == "" && e.long == "" {
			return nil, &FileError{Line: line, Msg: fmt.Sprintf("%s has no description", e.code)}
		}
		if e.long == "" {
			e.long = e.short
		} else if e.short == "" {
			e.short = e.long
		}
		if cols.poa >= 0 {
			switch p := strings.TrimSpace(f[cols.poa]); p {
			case "Y":
				e.poaExempt = true
			case "N", "":
			default:
				return nil, &FileError{Line: line, Msg: fmt.Sprintf("poa_exempt is %q: it must be Y, N or empty", p)}
			}
		}
		if cols.chron >= 0 {
			switch c := strings.TrimSpace(f[cols.chron]); c {
			case "":
			case "A", "B", "C", "N":
				e.chronic = Chronicity(c[0])
			default:
				return nil, &FileError{Line: line, Msg: fmt.Sprintf("chronic_indicator is %q: it must be A (acute), C (chronic), B (either), N (not applicable) or empty", c)}
			}
		}
		s.ents = append(s.ents, e)
		lines = append(lines, int32(line))
	}
	if len(s.ents) == 0 {
		return nil, &FileError{Line: 2, Msg: "the file names its columns but holds no code"}
	}
	keys.setKeys(s.ents)
	return lines, nil
}

func readHeader(first string) (columns, error) {
	c := columns{code: -1, dotted: -1, billable: -1, short: -1, long: -1, poa: -1, chron: -1}
	names := strings.Split(strings.TrimSuffix(first, "\r"), "\t")
	if len(names) > 15 {
		return c, &FileError{Line: 1, Msg: fmt.Sprintf("%d columns; a code set file has at most 15", len(names))}
	}
	c.n = len(names)
	named := map[string]*int{
		"code":              &c.code,
		"code_dotted":       &c.dotted,
		"billable":          &c.billable,
		"short_description": &c.short,
		"long_description":  &c.long,
		"poa_exempt":        &c.poa,
		"chronic_indicator": &c.chron,
	}
	for i, name := range names {
		p, ok := named[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			continue
		}
		if *p >= 0 {
			return c, &FileError{Line: 1, Msg: fmt.Sprintf("the column %q is named twice", name)}
		}
		*p = i
	}
	var missing []string
	if c.code < 0 {
		missing = append(missing, "code")
	}
	if c.billable < 0 {
		missing = append(missing, "billable")
	}
	if c.short < 0 && c.long < 0 {
		missing = append(missing, "short_description or long_description")
	}
	if missing != nil {
		return c, &FileError{Line: 1, Msg: "the header lacks the column " + strings.Join(missing, ", ") + " (it names " + strings.Join(names, ", ") + ")"}
	}
	return c, nil
}

// split cuts l at tabs into f and returns the number of fields, which is
// len(f) or more when l has more than len(f)-1 tabs (f then holds only the
// first len(f)).
func split(l string, f []string) int {
	n := 0
	for {
		i := strings.IndexByte(l, '\t')
		if i < 0 {
			if n < len(f) {
				f[n] = l
			}
			return n + 1
		}
		if n < len(f) {
			f[n] = l[:i]
		}
		n++
		l = l[i+1:]
	}
}

// fill checks the code of a line and sets e's key and code.
func (s *Set) fill(e *entry, line int, raw string, keys *keyArena) error {
	code := strings.TrimSpace(raw)
	if err := s.checkSyntax(code); err != nil {
		var m *MalformedCodeError
		if errors.As(err, &m) {
			return &FileError{Line: line, Msg: m.Error()}
		}
		return &FileError{Line: line, Msg: err.Error()}
	}
	e.code = code
	keys.add(code)
	return nil
}

// keyArena collects the keys of codes into one string, rather than one
// allocation each: key appends a key and returns its end; keys returns the
// string the ends index.
type keyArena struct {
	b    strings.Builder
	ends []uint32
}

func (a *keyArena) grow(n int) { a.b.Grow(n) }

func (a *keyArena) add(code string) {
	for i := 0; i < len(code); i++ {
		if c, keep := normalByte(code[i]); keep {
			a.b.WriteByte(c)
		}
	}
	a.ends = append(a.ends, uint32(a.b.Len()))
}

// setKeys gives each entry its key, in the order they were added.
func (a *keyArena) setKeys(ents []entry) {
	all := a.b.String()
	start := uint32(0)
	for i, end := range a.ends {
		ents[i].key = all[start:end]
		start = end
	}
}

// isCDCOrderLine reports whether l looks like a line of CDC's fixed-width
// order file: a five-digit order number, a space, the code.
func isCDCOrderLine(l string) bool {
	if len(l) < 16 || l[5] != ' ' {
		return false
	}
	for i := 0; i < 5; i++ {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	return true
}

// parseCDC reads CDC's fixed-width order file: columns 1-5 the order
// number, 7-13 the code (no dot), 15 the billable flag, 17-76 the short
// description, 78 on the long one. The dot is put after the third
// character, as ICD-10-CM prints its codes.
func (s *Set) parseCDC(text string) (lines []int32, err error) {
	s.ents = make([]entry, 0, strings.Count(text, "\n"))
	var keys keyArena
	keys.grow(len(text) / 16)
	rest := text
	for line := 1; rest != ""; line++ {
		l, next, _ := strings.Cut(rest, "\n")
		rest = next
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !isCDCOrderLine(l) || len(l) < 17 {
			return nil, &FileError{Line: line, Msg: "not a line of CDC's order file (a five-digit order number, a space, the code, the billable flag, the descriptions)"}
		}
		var e entry
		if err := s.fill(&e, line, l[6:13], &keys); err != nil {
			return nil, err
		}
		if k := Normalize(e.code); len(k) > 3 {
			e.code = k[:3] + "." + k[3:]
		}
		switch l[14] {
		case '1':
			e.billable = true
		case '0':
		default:
			return nil, &FileError{Line: line, Msg: fmt.Sprintf("the billable flag (column 15) is %q: it must be 1 or 0", l[14:15])}
		}
		if len(l) > 77 {
			e.short = strings.TrimSpace(l[16:77])
			e.long = strings.TrimSpace(l[77:])
		} else {
			e.short = strings.TrimSpace(l[16:])
		}
		if e.short == "" && e.long == "" {
			return nil, &FileError{Line: line, Msg: fmt.Sprintf("%s has no description", e.code)}
		}
		if e.long == "" {
			e.long = e.short
		}
		s.ents = append(s.ents, e)
		lines = append(lines, int32(line))
	}
	keys.setKeys(s.ents)
	return lines, nil
}

// sortKeys builds byKey and refuses a code given twice; lines are the
// entries' lines in the file.
func (s *Set) sortKeys(lines []int32) error {
	s.byKey = make([]int32, len(s.ents))
	for i := range s.byKey {
		s.byKey[i] = int32(i)
	}
	slices.SortFunc(s.byKey, func(a, b int32) int { return strings.Compare(s.ents[a].key, s.ents[b].key) })
	for i := 1; i < len(s.byKey); i++ {
		a, b := s.byKey[i-1], s.byKey[i]
		if s.ents[a].key == s.ents[b].key {
			if a > b {
				a, b = b, a
			}
			return &FileError{Line: int(lines[b]), Msg: fmt.Sprintf("%s is given again (first on line %d)", s.ents[b].code, lines[a])}
		}
	}
	return nil
}

// Normalize is the form codes compare by: upper case, without dots or
// spaces ("j18.9" gives "J189").
func Normalize(code string) string {
	clean := true
	for i := 0; i < len(code); i++ {
		if c := code[i]; c == '.' || c == ' ' || ('a' <= c && c <= 'z') {
			clean = false
			break
		}
	}
	if clean {
		return code
	}
	b := make([]byte, 0, len(code))
	for i := 0; i < len(code); i++ {
		if c, keep := normalByte(code[i]); keep {
			b = append(b, c)
		}
	}
	return string(b)
}

// normalByte is the byte c of a code as Normalize writes it (upper case),
// or keep false for one it leaves out (a dot or a space).
func normalByte(c byte) (_ byte, keep bool) {
	switch {
	case c == '.' || c == ' ':
		return 0, false
	case 'a' <= c && c <= 'z':
		return c - ('a' - 'A'), true
	}
	return c, true
}

// icd10Like reports whether the set's codes follow ICD-10's shape (a letter,
// a digit, a letter or digit, then up to four more after a dot): the WHO's
// ICD-10 and its national modifications, ICD-10-CM among them.
func (s *Set) icd10Like() bool {
	return strings.HasPrefix(strings.ToUpper(s.system), "ICD-10") || strings.HasPrefix(strings.ToUpper(s.system), "ICD10")
}

// checkSyntax says why code cannot be a code of the set, or nil.
func (s *Set) checkSyntax(code string) error {
	bad := func(reason string) error {
		return &MalformedCodeError{Code: code, System: s.system, Reason: reason}
	}
	if code == "" {
		return &MalformedCodeError{System: s.system, Reason: "no code was given"}
	}
	dots := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '.':
			dots++
		case '0' <= c && c <= '9', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		default:
			return bad("a code holds only letters, digits and one dot")
		}
	}
	if dots > 1 {
		return bad("a code has at most one dot")
	}
	if !s.icd10Like() {
		if code[0] == '.' || code[len(code)-1] == '.' {
			return bad("the dot comes between characters")
		}
		if len(code) > 16 {
			return bad("it is too long")
		}
		return nil
	}
	key := Normalize(code)
	switch {
	case key[0] < 'A' || key[0] > 'Z':
		return bad("it starts with a letter (as in J18.9)")
	case len(key) < 3:
		return bad("it has at least three characters, a letter and two more (as in J18)")
	case key[1] < '0' || key[1] > '9':
		return bad("its second character is a digit (as in J18.9)")
	case len(key) > 7:
		return bad("it has at most seven characters, three before the dot and four after (as in S52.521A)")
	}
	if dots == 1 && strings.IndexByte(code, '.') != 3 {
		return bad("the dot comes after the third character (as in J18.9)")
	}
	if dots == 1 && len(key) == 3 {
		return bad("a dot is followed by at least one character (as in J18.9)")
	}
	return nil
}

// keyRange is the part of byKey whose keys start with prefix.
func (s *Set) keyRange(prefix string) (lo, hi int) {
	lo, _ = slices.BinarySearchFunc(s.byKey, prefix, func(i int32, p string) int { return strings.Compare(s.ents[i].key, p) })
	hi = lo + sort.Search(len(s.byKey)-lo, func(j int) bool { return !strings.HasPrefix(s.ents[s.byKey[lo+j]].key, prefix) })
	return lo, hi
}

// Lookup finds one code, typed with or without its dot, in any case. An
// error is a *MalformedCodeError (ErrMalformedCode) for what cannot be a
// code of the set, or an *UnknownCodeError (ErrUnknownCode) for a code the
// set does not hold. A category header is found (Billable false): see
// Assignable.
func (s *Set) Lookup(code string) (Code, error) {
	code = strings.TrimSpace(code)
	if err := s.checkSyntax(code); err != nil {
		return Code{}, err
	}
	key := Normalize(code)
	i, ok := slices.BinarySearchFunc(s.byKey, key, func(i int32, k string) int { return strings.Compare(s.ents[i].key, k) })
	if ok {
		return s.code(s.byKey[i]), nil
	}
	e := &UnknownCodeError{Code: code, System: s.system, Version: s.version}
	for n := len(key) - 1; n >= 1; n-- {
		if j, ok := slices.BinarySearchFunc(s.byKey, key[:n], func(i int32, k string) int { return strings.Compare(s.ents[i].key, k) }); ok {
			c := s.code(s.byKey[j])
			e.Nearest = &c
			break
		}
	}
	return Code{}, e
}

// Assignable finds a code that may be assigned to a diagnosis: as Lookup,
// and a category header is refused with a *NotAssignableError
// (ErrNotAssignable) whose Reason names the codes under it.
func (s *Set) Assignable(code string) (Code, error) {
	c, err := s.Lookup(code)
	if err != nil || c.Billable {
		return c, err
	}
	lo, hi := s.keyRange(c.Key())
	var under []int32
	for _, i := range s.byKey[lo:hi] {
		if s.ents[i].billable {
			under = append(under, i)
		}
	}
	slices.Sort(under)
	msg := fmt.Sprintf("%s (%s) is a category, not a code that can be assigned", c.Code, c.Long)
	switch len(under) {
	case 0:
	case 1:
		msg += fmt.Sprintf(": choose the code under it, %s", s.ents[under[0]].code)
	default:
		msg += fmt.Sprintf(": choose one of the %d codes under it, %s to %s", len(under), s.ents[under[0]].code, s.ents[under[len(under)-1]].code)
	}
	return c, &NotAssignableError{Code: c, Reason: msg}
}

// NotAssignableError refuses a category header: Reason says so in a
// sentence naming the codes under it. It is ErrNotAssignable.
type NotAssignableError struct {
	Code   Code
	Reason string
}

func (e *NotAssignableError) Error() string { return e.Reason + ": " + ErrNotAssignable.Error() }

// Unwrap makes it ErrNotAssignable.
func (e *NotAssignableError) Unwrap() error { return ErrNotAssignable }
