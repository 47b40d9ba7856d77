package crypto

import (
	"bytes"
	"fmt"
	"io"

	"github.com/tink-crypto/tink-go/v2/hybrid"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"

	"folio/app"
)

// Sync bundles (a file carried on a USB stick between a workstation and
// the archive, see package archive/bundle) are encrypted to their
// recipient: each bundle has a fresh streaming key (Tink's
// AES256_GCM_HKDF_1MB: 1 MiB segments, each authenticated, so a body of
// gigabytes streams through a small buffer and a cut or reordered stream
// fails), and that key is wrapped to the recipient's public keyset with
// HPKE (X25519, HKDF-SHA256, AES-256-GCM, Tink's hybrid encryption). The
// recipient's key pair: the archive's is made by 'folio-archive init' (its
// private keyset in a 0600 file, like the server's TLS key), a
// workstation's at its first export (its private keyset sealed under the
// vault's record key). contextInfo binds the wrapped key and the stream to
// one bundle (its header's identity).
const (
	maxBundleKeyLen = 8 << 10
	adBundlePrivate = "folio sync bundle private keyset v1"
)

// NewBundleKeys makes a recipient key pair for sync bundles. public is a
// Tink public keyset (binary); private is the private keyset encrypted
// with wrap (associated data fixed), or in the clear when wrap is nil.
func NewBundleKeys(wrap app.AEAD) (public, private []byte, err error) {
	h, err := keyset.NewHandle(hybrid.DHKEM_X25519_HKDF_SHA256_HKDF_SHA256_AES_256_GCM_Key_Template())
	if err != nil {
		return nil, nil, fmt.Errorf("make bundle key: %w", err)
	}
	if public, err = publicKeyset(h); err != nil {
		return nil, nil, fmt.Errorf("make bundle key: %w", err)
	}
	var buf bytes.Buffer
	if wrap == nil {
		err = insecurecleartextkeyset.Write(h, keyset.NewBinaryWriter(&buf))
	} else {
		err = h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), wrap, []byte(adBundlePrivate))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("make bundle key: %w", err)
	}
	return public, buf.Bytes(), nil
}

// CheckBundlePublicKey reports whether public is a hybrid public keyset a
// bundle can be encrypted to.
func CheckBundlePublicKey(public []byte) error {
	_, err := hybridEncrypt(public, "bundle public key", maxBundleKeyLen)
	return err
}

// hybridEncrypt reads public, a hybrid public keyset of at most limit
// bytes (what names it in errors: "bundle public key"), as an encrypter.
func hybridEncrypt(public []byte, what string, limit int) (interface {
	Encrypt(plaintext, contextInfo []byte) ([]byte, error)
}, error) {
	if len(public) == 0 || len(public) > limit {
		return nil, malformed("%s of %d bytes", what, len(public))
	}
	h, err := keyset.ReadWithNoSecrets(keyset.NewBinaryReader(bytes.NewReader(public)))
	if err != nil {
		return nil, malformed("%s: %v", what, err)
	}
	enc, err := hybrid.NewHybridEncrypt(h)
	if err != nil {
		return nil, malformed("%s: %v", what, err)
	}
	return enc, nil
}

// SealBundleStream makes a fresh streaming key, wraps it to the
// recipient's public keyset for contextInfo, and returns the wrapped key
// and a writer that encrypts what it is given to w. Close the writer to
// finish the stream (it does not close w).
func SealBundleStream(recipientPublic, contextInfo []byte, w io.Writer) (wrapped []byte, wc io.WriteCloser, err error) {
	enc, err := hybridEncrypt(recipientPublic, "bundle public key", maxBundleKeyLen)
	if err != nil {
		return nil, nil, err
	}
	h, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		return nil, nil, fmt.Errorf("make bundle stream key: %w", err)
	}
	var ks bytes.Buffer
	if err := insecurecleartextkeyset.Write(h, keyset.NewBinaryWriter(&ks)); err != nil {
		return nil, nil, fmt.Errorf("make bundle stream key: %w", err)
	}
	defer clear(ks.Bytes())
	if wrapped, err = enc.Encrypt(ks.Bytes(), contextInfo); err != nil {
		return nil, nil, fmt.Errorf("wrap bundle stream key: %w", err)
	}
	s, err := streamingaead.New(h)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle stream: %w", err)
	}
	if wc, err = s.NewEncryptingWriter(w, contextInfo); err != nil {
		return nil, nil, fmt.Errorf("bundle stream: %w", err)
	}
	return wrapped, wc, nil
}

// OpenBundleStream unwraps a bundle's stream key with the recipient's
// private keyset (opened with wrap, or in the clear when wrap is nil) and
// returns a reader that decrypts r. A key wrapped to another recipient or
// for another contextInfo, or an altered one, wraps app.ErrTampered; so
// does a read of an altered, reordered or cut stream.
func OpenBundleStream(private []byte, wrap app.AEAD, wrapped, contextInfo []byte, r io.Reader) (io.Reader, error) {
	if len(private) == 0 || len(private) > maxBundleKeyLen {
		return nil, malformed("bundle private key of %d bytes", len(private))
	}
	var h *keyset.Handle
	var err error
	if wrap == nil {
		h, err = insecurecleartextkeyset.Read(keyset.NewBinaryReader(bytes.NewReader(private)))
	} else {
		h, err = keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(private)), wrap, []byte(adBundlePrivate))
	}
	if err != nil {
		return nil, fmt.Errorf("open the bundle key: %v: %w", err, app.ErrTampered)
	}
	dec, err := hybrid.NewHybridDecrypt(h)
	if err != nil {
		return nil, fmt.Errorf("open the bundle key: %w", err)
	}
	if len(wrapped) == 0 || len(wrapped) > maxBundleKeyLen {
		return nil, malformed("wrapped bundle key of %d bytes", len(wrapped))
	}
	ks, err := dec.Decrypt(wrapped, contextInfo)
	if err != nil {
		return nil, fmt.Errorf("the bundle was not encrypted for this recipient's key, or its header was altered: %w", app.ErrTampered)
	}
	defer clear(ks)
	sh, err := insecurecleartextkeyset.Read(keyset.NewBinaryReader(bytes.NewReader(ks)))
	if err != nil {
		return nil, fmt.Errorf("bundle stream key: %v: %w", err, app.ErrTampered)
	}
	s, err := streamingaead.New(sh)
	if err != nil {
		return nil, fmt.Errorf("bundle stream key: %v: %w", err, app.ErrTampered)
	}
	rd, err := s.NewDecryptingReader(r, contextInfo)
	if err != nil {
		return nil, fmt.Errorf("bundle stream: %v: %w", err, app.ErrTampered)
	}
	return &tamperReader{r: rd}, nil
}

// tamperReader marks every read error but EOF as app.ErrTampered: the
// stream's authentication failed.
type tamperReader struct{ r io.Reader }

func (t *tamperReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("the bundle's encrypted body does not decrypt (altered or cut): %v: %w", err, app.ErrTampered)
	}
	return n, err
}
