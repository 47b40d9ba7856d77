package crypto

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/hybrid"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/prf"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/signature"
	"github.com/tink-crypto/tink-go/v2/streamingaead"

	"folio/app"
)

// Key bundle layout (version 1):
//
//	magic "FOLIOBND" | version 1 | part count (uint8) |
//	part*: role length (uint8) | role | data length (uint32 BE) | data |
//	HMAC-SHA256 over everything before it (32 bytes)
//
// Each secret keyset is a part written by keyset.Handle.WriteWithAssociatedData
// under AES-256-GCM keyed with HKDF-SHA256(master, "folio bundle keyset wrap
// v1"), associated data "folio bundle v1 keyset " + role. The public audit
// keyset is a cleartext part, so AuditPublicKey returns the very bytes the
// vault stored. The MAC, keyed with HKDF-SHA256(master, "folio bundle mac
// v1"), covers the whole framing, including the keyset info Tink writes
// unauthenticated beside each encrypted keyset: any changed byte fails.
const (
	bundleMagic     = "FOLIOBND"
	bundleVersion   = 1
	bundleMACSize   = sha256.Size
	maxBundleParts  = 16
	partAuditPublic = "audit-public"
	infoBundleWrap  = "folio bundle keyset wrap v1"
	infoBundleMAC   = "folio bundle mac v1"
	adBundleKeyset  = "folio bundle v1 keyset "
)

// role is one secret keyset of the bundle.
type role struct {
	name     string
	handle   **keyset.Handle
	template func() *tinkpb.KeyTemplate
}

// roles lists the secret keysets in bundle order.
func (h *handles) roles() []role {
	return []role{
		{"record-kek", &h.kek, aead.AES256GCMKeyTemplate},
		{"blob", &h.blob, streamingaead.AES256GCMHKDF1MBKeyTemplate},
		{"index", &h.index, prf.HMACSHA256PRFKeyTemplate},
		{"audit-sign", &h.sign, signature.ED25519KeyWithoutPrefixTemplate},
		{"audit-seal", &h.seal, hybrid.DHKEM_X25519_HKDF_SHA256_HKDF_SHA256_AES_256_GCM_Key_Template},
	}
}

// partNames lists every part a version 1 bundle must have.
func partNames() []string {
	var h handles
	var names []string
	for _, r := range h.roles() {
		names = append(names, r.name)
	}
	return append(names, partAuditPublic)
}

// bundleKeys derives the keyset-wrapping AEAD and the MAC key from master.
func bundleKeys(master []byte) (wrapKey, macKey []byte, err error) {
	if wrapKey, err = hkdf.Key(sha256.New, master, nil, infoBundleWrap, slotKeySize); err != nil {
		return nil, nil, err
	}
	if macKey, err = hkdf.Key(sha256.New, master, nil, infoBundleMAC, slotKeySize); err != nil {
		return nil, nil, err
	}
	return wrapKey, macKey, nil
}

func bundleMAC(macKey, data []byte) []byte {
	m := hmac.New(sha256.New, macKey)
	m.Write(data)
	return m.Sum(nil)
}

// Bundle serialises the vault's keysets, encrypted and authenticated under
// the master key. The caller stores it in clear beside the key slots. Each
// call gives new bytes (fresh nonces); every bundle of one vault opens with
// every slot of that vault.
func (k *Keyring) Bundle() ([]byte, error) {
	master, err := k.masterCopy()
	if err != nil {
		return nil, fmt.Errorf("write key bundle: %w", err)
	}
	defer clear(master)
	ks, err := k.get()
	if err != nil {
		return nil, fmt.Errorf("write key bundle: %w", err)
	}
	wrapKey, macKey, err := bundleKeys(master)
	if err != nil {
		return nil, fmt.Errorf("write key bundle: %w", err)
	}
	defer clear(wrapKey)
	defer clear(macKey)
	wrap, err := newGCM(wrapKey)
	if err != nil {
		return nil, fmt.Errorf("write key bundle: %w", err)
	}
	h := ks.h
	rs := h.roles()
	out := append([]byte(bundleMagic), bundleVersion, byte(len(rs)+1))
	for _, r := range rs {
		var buf bytes.Buffer
		if err := (*r.handle).WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), wrap, []byte(adBundleKeyset+r.name)); err != nil {
			return nil, fmt.Errorf("write key bundle: %s keyset: %w", r.name, err)
		}
		out = appendPart(out, r.name, buf.Bytes())
	}
	out = appendPart(out, partAuditPublic, ks.auditPublic)
	return append(out, bundleMAC(macKey, out)...), nil
}

func appendPart(out []byte, name string, data []byte) []byte {
	out = append(out, byte(len(name)))
	out = append(out, name...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	return append(out, data...)
}

// bundleFile is a bundle whose framing has been parsed, not yet
// authenticated.
type bundleFile struct {
	parts  map[string][]byte
	signed []byte // the bytes the MAC covers
	mac    []byte
}

// parseBundle checks the framing of a bundle without any key.
func parseBundle(b []byte) (*bundleFile, error) {
	const fixed = len(bundleMagic) + 2
	if len(b) < fixed+bundleMACSize {
		return nil, malformed("key bundle is %d bytes, too short to be one", len(b))
	}
	if string(b[:len(bundleMagic)]) != bundleMagic {
		return nil, malformed("key bundle does not start with %q", bundleMagic)
	}
	switch v := b[len(bundleMagic)]; {
	case v == 0:
		return nil, malformed("key bundle has format version 0")
	case v > bundleVersion:
		return nil, fmt.Errorf("key bundle has format version %d: %w", v, app.ErrNewerSchema)
	}
	n := int(b[len(bundleMagic)+1])
	if n == 0 || n > maxBundleParts {
		return nil, malformed("key bundle claims %d parts", n)
	}
	f := &bundleFile{
		parts:  make(map[string][]byte, n),
		signed: b[:len(b)-bundleMACSize],
		mac:    b[len(b)-bundleMACSize:],
	}
	rest := f.signed[fixed:]
	for i := range n {
		if len(rest) < 1 {
			return nil, malformed("key bundle is truncated at part %d of %d", i+1, n)
		}
		nameLen := int(rest[0])
		rest = rest[1:]
		if len(rest) < nameLen+4 {
			return nil, malformed("key bundle is truncated at part %d of %d", i+1, n)
		}
		name := string(rest[:nameLen])
		size := binary.BigEndian.Uint32(rest[nameLen:])
		rest = rest[nameLen+4:]
		if uint64(size) > uint64(len(rest)) {
			return nil, malformed("key bundle part %q is truncated (%d bytes of %d)", name, len(rest), size)
		}
		if _, dup := f.parts[name]; dup {
			return nil, malformed("key bundle has part %q twice", name)
		}
		f.parts[name] = rest[:size]
		rest = rest[size:]
	}
	if len(rest) != 0 {
		return nil, malformed("key bundle has %d stray bytes after its parts", len(rest))
	}
	names := partNames()
	for _, name := range names {
		if _, ok := f.parts[name]; !ok {
			return nil, malformed("key bundle lacks its %s part", name)
		}
	}
	if len(f.parts) != len(names) {
		return nil, malformed("key bundle has %d parts, want %d", len(f.parts), len(names))
	}
	return f, nil
}

// open authenticates the bundle with master and reads its keysets. It takes
// ownership of master (cleared on failure). Authentication failures wrap
// app.ErrTampered.
func (f *bundleFile) open(master []byte) (*Keyring, error) {
	kr, err := f.openKeys(master)
	if err != nil {
		clear(master)
		return nil, fmt.Errorf("open key bundle: %w", err)
	}
	return kr, nil
}

func (f *bundleFile) openKeys(master []byte) (*Keyring, error) {
	wrapKey, macKey, err := bundleKeys(master)
	if err != nil {
		return nil, err
	}
	defer clear(wrapKey)
	defer clear(macKey)
	if !hmac.Equal(bundleMAC(macKey, f.signed), f.mac) {
		return nil, fmt.Errorf("the bundle does not belong to this key or was changed: %w", app.ErrTampered)
	}
	wrap, err := newGCM(wrapKey)
	if err != nil {
		return nil, err
	}
	var h handles
	for _, r := range h.roles() {
		kh, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(f.parts[r.name])), wrap, []byte(adBundleKeyset+r.name))
		if err != nil {
			return nil, fmt.Errorf("%s keyset: %v: %w", r.name, err, app.ErrTampered)
		}
		*r.handle = kh
	}
	pub := bytes.Clone(f.parts[partAuditPublic])
	if _, err := keyset.ReadWithNoSecrets(keyset.NewBinaryReader(bytes.NewReader(pub))); err != nil {
		return nil, fmt.Errorf("audit public keyset: %v: %w", err, app.ErrTampered)
	}
	ks, err := newKeys(master, h, pub)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, app.ErrTampered)
	}
	return &Keyring{k: ks}, nil
}

// publicKeyset serialises the public half of a private keyset.
func publicKeyset(h *keyset.Handle) ([]byte, error) {
	pub, err := h.Public()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pub.WriteWithNoSecrets(keyset.NewBinaryWriter(&buf)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
