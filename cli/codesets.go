package cli

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"folio/app"
	"folio/codeset"
	"folio/storage"
)

// Code sets an administrator loads are kept in the data folder, one file
// per system and version: <data>/codesets/<system>/<version>.gz, the file
// as it was loaded, gzip-compressed. They are public reference data (the
// WHO's or CDC's tabulations), not PHI, so they are kept in clear beside
// the vault rather than sealed in it; each is read back through
// codeset.Open, which checks every line again.
const codeSetsDir = "codesets"

// codesCommand is `folio codes`: the code sets coders may choose from.
func codesCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "codes", Short: "the code sets: ICD-10-CM as shipped and those an administrator loaded"}
	cmd.AddCommand(codesLoad(e), codesList(e))
	return cmd
}

// validName is a system or version name that is also a safe file name:
// letters, digits, dots, dashes and underscores, not starting with a dot.
func validName(what, s string) error {
	if s == "" {
		return usageError{fmt.Errorf("give the code set's %s (--%s)", what, what)}
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return usageError{fmt.Errorf("code set %s %q: use letters, digits, dots, dashes and underscores (ICD-10, 2019)", what, s)}
		}
	}
	if s[0] == '.' {
		return usageError{fmt.Errorf("code set %s %q: it may not start with a dot", what, s)}
	}
	return nil
}

func codesLoad(e *env) *cobra.Command {
	var system, version string
	cmd := &cobra.Command{
		Use:   "load FILE --system NAME --version V",
		Short: "load another code set (WHO ICD-10, ICD-11…) from a file with the shipped file's columns or CDC's order file (administrators; audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			system, version = strings.TrimSpace(system), strings.TrimSpace(version)
			if err := validName("system", system); err != nil {
				return err
			}
			if err := validName("version", version); err != nil {
				return err
			}
			if strings.EqualFold(system, codeset.ICD10CMSystem) && strings.EqualFold(version, codeset.ICD10CMVersion) {
				return fmt.Errorf("%s %s is the code set Folio ships: give a newer version", codeset.ICD10CMSystem, codeset.ICD10CMVersion)
			}
			raw, err := readCodeSetFile(args[0])
			if err != nil {
				return err
			}
			set, err := codeset.Open(bytes.NewReader(raw), system, version)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			if sys, ver, _, err := findCodeSet(dir, system, version); err == nil {
				return fmt.Errorf("%s %s is loaded already: codes recorded from it keep that version, so load the new file as another version", sys, ver)
			}
			return e.inSession(cmd.Context(), func(s *app.Session) error {
				err := s.Settings().LoadCodeSet(cmd.Context(), system, version, set.Len(), func() error {
					return keepCodeSet(dir, system, version, raw)
				})
				if err != nil {
					return err
				}
				printf(cmd.OutOrStdout(), "code set loaded: %s %s, %d codes\n", system, version, set.Len())
				printf(cmd.ErrOrStderr(), "coders use it with --system %s (folio code search --system %s QUERY)\n", system, system)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&system, "system", "", "the code set's system: ICD-10, ICD-11, ICD-10-CM…")
	cmd.Flags().StringVar(&version, "version", "", "its version: 2019, 2024-01, FY2025…")
	return cmd
}

// readCodeSetFile reads a code set file whole, refusing one larger than
// codeset.MaxFileSize (compressed or not: a gzip file that large would be
// far larger uncompressed).
func readCodeSetFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, codeset.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(raw) > codeset.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MB, too large for a code set", name, codeset.MaxFileSize>>20)
	}
	return raw, nil
}

// keepCodeSet writes the file, gzip-compressed, as
// <dir>/codesets/<system>/<version>.gz: to a temporary file first, synced,
// then renamed and the folder synced, so a crash leaves the whole file or
// none.
func keepCodeSet(dir, system, version string, raw []byte) error {
	var z bytes.Buffer
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		z.Write(raw)
	} else {
		zw := gzip.NewWriter(&z)
		zw.Write(raw) // a bytes.Buffer does not fail
		if err := zw.Close(); err != nil {
			return err
		}
	}
	folder := filepath.Join(dir, codeSetsDir, system)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("keep the code set: %w", err)
	}
	tmp, err := os.CreateTemp(folder, ".load-*")
	if err != nil {
		return fmt.Errorf("keep the code set: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if _, err := tmp.Write(z.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("keep the code set: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keep the code set: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keep the code set: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(folder, version+".gz")); err != nil {
		return fmt.Errorf("keep the code set: %w", err)
	}
	if err := storage.SyncDir(folder); err != nil {
		return fmt.Errorf("keep the code set: %w", err)
	}
	return nil
}

// loadedCodeSet is a code set file in the data folder.
type loadedCodeSet struct{ system, version, path string }

// loadedCodeSets lists the code sets loaded into the data folder dir, by
// system then version.
func loadedCodeSets(dir string) ([]loadedCodeSet, error) {
	systems, err := os.ReadDir(filepath.Join(dir, codeSetsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []loadedCodeSet
	for _, s := range systems {
		if !s.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, codeSetsDir, s.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			v, ok := strings.CutSuffix(f.Name(), ".gz")
			if !ok || f.IsDir() || strings.HasPrefix(f.Name(), ".") {
				continue
			}
			out = append(out, loadedCodeSet{s.Name(), v, filepath.Join(dir, codeSetsDir, s.Name(), f.Name())})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].system != out[j].system {
			return out[i].system < out[j].system
		}
		return out[i].version < out[j].version
	})
	return out, nil
}

// findCodeSet finds the loaded code set of a system (any case) and
// version; with no version, the system's only one.
func findCodeSet(dir, system, version string) (sys, ver, path string, err error) {
	all, err := loadedCodeSets(dir)
	if err != nil {
		return "", "", "", err
	}
	var found []loadedCodeSet
	var versions []string
	for _, l := range all {
		if strings.EqualFold(l.system, system) {
			versions = append(versions, l.version)
			if version == "" || strings.EqualFold(l.version, version) {
				found = append(found, l)
			}
		}
	}
	switch {
	case len(versions) == 0:
		return "", "", "", fmt.Errorf("no code set %s is loaded (folio codes list shows those that are)", system)
	case len(found) == 0:
		return "", "", "", fmt.Errorf("%s %s is not loaded; its versions here: %s", system, version, strings.Join(versions, ", "))
	case len(found) > 1:
		return "", "", "", fmt.Errorf("%s is loaded in several versions (%s): choose one with --version", system, strings.Join(versions, ", "))
	}
	return found[0].system, found[0].version, found[0].path, nil
}

// openLoaded reads a loaded code set back, checking it again.
func openLoaded(l loadedCodeSet) (*codeset.Set, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("open the code set %s %s: %w", l.system, l.version, err)
	}
	defer f.Close()
	set, err := codeset.Open(f, l.system, l.version)
	if err != nil {
		return nil, fmt.Errorf("the loaded code set %s %s (%s) is damaged: %w; copy %s from a backup taken since it was loaded (the backup folder holds it at the same place) back to %s, or load it again from its file as another version", l.system, l.version, l.path, err, filepath.Join(codeSetsDir, l.system, filepath.Base(l.path)), l.path)
	}
	return set, nil
}

// codeSet is the code set a coding command uses: with no system (or
// ICD-10-CM FY2022) the shipped one, else the loaded one of that system
// and version.
func (e *env) codeSet(system, version string) (*codeset.Set, error) {
	if system == "" || strings.EqualFold(system, codeset.ICD10CMSystem) && (version == "" || strings.EqualFold(version, codeset.ICD10CMVersion)) {
		set, err := e.codes.Set()
		if err != nil {
			return nil, fmt.Errorf("open the code set: %w", err)
		}
		return set, nil
	}
	dir, err := e.dir()
	if err != nil {
		return nil, err
	}
	sys, ver, path, err := findCodeSet(dir, system, version)
	if err != nil {
		return nil, err
	}
	return openLoaded(loadedCodeSet{sys, ver, path})
}

// withCodeSet makes a command's RunE that runs fn with the code set a
// coding command uses (codeSet, as --system and --version choose).
func (e *env) withCodeSet(fn func(cmd *cobra.Command, args []string, set *codeset.Set) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		set, err := e.codeSet(e.codeSystem, e.codeVersion)
		if err != nil {
			return err
		}
		return fn(cmd, args, set)
	}
}

// codeSetFlags adds --system and --version to a command that uses a code
// set.
func codeSetFlags(cmd *cobra.Command, system, version *string) {
	cmd.Flags().StringVar(system, "system", "", "a code set an administrator loaded (folio codes list); default ICD-10-CM")
	cmd.Flags().StringVar(version, "version", "", "its version, when several are loaded")
}

func codesList(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "the code sets: the shipped ICD-10-CM and those loaded, with how many codes each holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			set, err := e.codes.Set()
			if err != nil {
				return fmt.Errorf("open the code set: %w", err)
			}
			printf(w, "%-12s  %-10s  shipped  %d codes\n", set.System(), set.Version(), set.Len())
			dir, err := e.dir()
			if err != nil {
				return err
			}
			loaded, err := loadedCodeSets(dir)
			if err != nil {
				return fmt.Errorf("list the loaded code sets: %w", err)
			}
			for _, l := range loaded {
				s, err := openLoaded(l)
				if err != nil {
					printf(w, "%-12s  %-10s  damaged  %v\n", l.system, l.version, err)
					continue
				}
				printf(w, "%-12s  %-10s  loaded   %d codes\n", l.system, l.version, s.Len())
			}
			return nil
		},
	}
}
