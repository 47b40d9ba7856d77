package app

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// This file holds the workstation settings an administrator changes after
// setup: the MRN site prefix, how many scan workers run, the archive's
// address, and a new recovery key. Settings live in the vault's meta
// bucket in clear (none of them is PHI); every change is audited.

// Meta keys of the settings (cleartext, never PHI).
const (
	metaScanWorkers    = "settings/scan-workers"
	metaArchiveAddress = "settings/archive-address"
)

// MaxScanWorkers is the most scan workers a workstation may run at once.
// Each worker is a process with its own MuPDF and Tesseract, so more than
// a small machine's cores only competes for memory.
const MaxScanWorkers = 16

// ActRecoveryKeyNew records that an administrator issued a new recovery
// key (the previous one stops opening the vault). Recoveries made with a
// key are ActRecovery.
const ActRecoveryKeyNew Action = "key.recovery.new"

// Settings changes the workstation's settings: the MRN site prefix, the
// scan workers, the archive's address, the recovery key, the idle lock
// (vault.go), the barcode settings (barcodes.go) and the drop-folder
// intake (intakesettings.go). The Vault reads them (SitePrefix,
// ScanWorkers, …), before anyone signs in; changing one needs a session,
// checks the role and is audited.
type Settings struct{ s *Session }

// Settings returns the session's settings service.
func (s *Session) Settings() Settings { return Settings{s} }

// SetSitePrefix changes the MRN site prefix (2 to 6 letters or digits, the
// rule of the setup). Only MRNs issued from now on use it: existing MRNs
// never change, and the sequence number goes on from where it was, so no
// MRN is issued twice on this workstation. Administrators only; audited.
func (st Settings) SetSitePrefix(ctx context.Context, prefix string) error {
	ctx, err := st.s.require(ctx, PermUserManage, ActSettings, "")
	if err != nil {
		return err
	}
	site := strings.ToUpper(strings.TrimSpace(prefix))
	if !ValidSitePrefix(site) {
		return Invalidf("MRN site prefix %q: use 2 to 6 letters or digits, like KAB1", strings.TrimSpace(prefix))
	}
	// The MRN reservation reads the prefix under v.mu: a registration
	// running now gets the old prefix or the new one, never a mixture.
	st.s.v.mu.Lock()
	defer st.s.v.mu.Unlock()
	old, err := st.s.v.SitePrefix(ctx)
	if err != nil {
		return fmt.Errorf("read MRN prefix: %w", err)
	}
	if old == site {
		return nil
	}
	return st.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: fmt.Sprintf("MRN site prefix %s → %s", old, site)},
		map[string][]byte{metaSitePrefix: []byte(site)}, nil)
}

// SetScanWorkers sets how many scan workers run at once: 0 means one per
// processor core, otherwise 1 to MaxScanWorkers. The worker pool is made
// when the data folder opens, so the change takes effect at the next
// start. Administrators only; audited.
func (st Settings) SetScanWorkers(ctx context.Context, n int) error {
	ctx, err := st.s.require(ctx, PermUserManage, ActSettings, "")
	if err != nil {
		return err
	}
	if n < 0 || n > MaxScanWorkers {
		return Invalidf("%d scan workers: choose 1 to %d, or 0 for one per processor core", n, MaxScanWorkers)
	}
	what := strconv.Itoa(n)
	if n == 0 {
		what = "one per core"
	}
	return st.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: "scan workers " + what},
		map[string][]byte{metaScanWorkers: []byte(strconv.Itoa(n))}, nil)
}

// ScanWorkers returns the scan worker setting: 0 (the default) means one
// per processor core.
func (v *Vault) ScanWorkers(ctx context.Context) int {
	return ScanWorkersSetting(ctx, v.cfg.Meta)
}

// ScanWorkersSetting reads the scan worker setting from a meta store, for
// the code that makes the worker pool before any vault is open over it.
// A missing or damaged value reads as 0 (one per core).
func ScanWorkersSetting(ctx context.Context, meta MetaStore) int {
	b, err := meta.GetMeta(ctx, metaScanWorkers)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 || n > MaxScanWorkers {
		return 0
	}
	return n
}

// SetArchiveAddress sets the address of the organisation's archive server,
// which the sync engine connects to: "host:port" or an https:// URL; empty
// means this workstation has no archive. Administrators only; audited.
func (st Settings) SetArchiveAddress(ctx context.Context, addr string) error {
	ctx, err := st.s.require(ctx, PermUserManage, ActSettings, "")
	if err != nil {
		return err
	}
	norm, err := ParseArchiveAddress(addr)
	if err != nil {
		return err
	}
	detail := "archive address " + norm
	if norm == "" {
		detail = "archive address removed"
	}
	return st.s.commit(ctx, nil, AuditEvent{Action: ActSettings, Detail: detail},
		map[string][]byte{metaArchiveAddress: []byte(norm)}, nil)
}

// ArchiveAddress returns the archive server's address, or "" when none is
// set.
func (v *Vault) ArchiveAddress(ctx context.Context) string {
	return v.setting(ctx, metaArchiveAddress)
}

// setting returns the workstation setting kept in the vault's meta under
// key, or "" when none is set (or it cannot be read).
func (v *Vault) setting(ctx context.Context, key string) string {
	b, err := v.cfg.Meta.GetMeta(ctx, key)
	if err != nil {
		return ""
	}
	return string(b)
}

// ParseArchiveAddress checks an archive address and returns it tidied
// (spaces trimmed, the scheme and host in lower case): either "host:port"
// with a port from 1 to 65535, or an https:// URL with a host and no user
// name, query or fragment. Empty is valid and means no archive. Other
// input fails with ErrInvalid.
func ParseArchiveAddress(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", nil
	}
	bad := func(why string) error {
		return Invalidf("archive address %q: %s", addr, why)
	}
	const want = "give host:port (like archive.example.org:8443) or an https:// address"
	if strings.ContainsAny(addr, " \t\r\n") {
		return "", bad("it must not contain spaces; " + want)
	}
	if !strings.Contains(addr, "://") {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || !validHost(host) || !validPort(port) {
			return "", bad(want)
		}
		return net.JoinHostPort(strings.ToLower(host), port), nil
	}
	u, err := url.Parse(addr)
	switch {
	case err != nil:
		return "", bad(want)
	case !strings.EqualFold(u.Scheme, "https"):
		return "", bad("use an https:// address, so the connection is private; " + want)
	case u.User != nil:
		return "", bad("leave the user name and password out of the address")
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", bad(want)
	case !validHost(u.Hostname()):
		return "", bad(want)
	case u.Port() != "" && !validPort(u.Port()):
		return "", bad("the port must be a number from 1 to 65535")
	}
	u.Scheme = "https"
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// validHost accepts an IP address or a DNS name.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

// RotateRecoveryKey issues a new recovery key and returns it, to be shown
// once and printed. The new recovery slot replaces the old one in the same
// transaction as its audit event, so from then on only the new key
// recovers a password; a crash leaves the old slot or the new one, never
// none. If the new key is lost before it is written down, an
// administrator issues another. Administrators only.
func (st Settings) RotateRecoveryKey(ctx context.Context) (string, error) {
	ctx, err := st.s.require(ctx, PermUserManage, ActRecoveryKeyNew, "")
	if err != nil {
		return "", err
	}
	keys, err := st.s.keyring()
	if err != nil {
		return "", err
	}
	key, err := st.s.v.cfg.Keys.NewRecoveryKey()
	if err != nil {
		return "", fmt.Errorf("make a recovery key: %w", err)
	}
	slot, err := keys.RecoverySlot(key)
	if err != nil {
		return "", fmt.Errorf("make the recovery slot: %w", err)
	}
	st.s.v.mu.Lock()
	defer st.s.v.mu.Unlock()
	if err := st.s.commit(ctx, nil, AuditEvent{Action: ActRecoveryKeyNew, Detail: "new recovery key issued; the previous key no longer opens the vault"},
		map[string][]byte{slotRecovery: slot}, nil); err != nil {
		return "", fmt.Errorf("store the new recovery key: %w", err)
	}
	return key, nil
}
