package archive

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"folio/archive/api"
)

// Binder turns a request's verified client certificate into the device id
// of the vault behind it. A workstation names its vault's device id in
// api.HeaderDevice; the first claim of a certificate is bound in the store
// for good (Store.Bind), and a later claim of another id, or a claim of an
// id bound to another workstation, is refused. Its DeviceFromRequest is
// what ServerParams needs.
type Binder struct {
	store  Store
	certOf func(*http.Request) (api.Cert, error)
	now    func() time.Time

	mu    sync.Mutex
	bound map[api.Cert]api.DeviceID // bindings already confirmed by the store
}

// NewBinder binds the certificates certOf returns (pki.DeviceFromRequest)
// in store.
func NewBinder(store Store, certOf func(*http.Request) (api.Cert, error), now func() time.Time) *Binder {
	if now == nil {
		now = time.Now
	}
	return &Binder{store: store, certOf: certOf, now: now, bound: map[api.Cert]api.DeviceID{}}
}

// DeviceFromRequest returns the device the request's certificate is bound
// to, binding it on first use.
func (b *Binder) DeviceFromRequest(r *http.Request) (api.DeviceID, error) {
	cert, err := b.certOf(r)
	if err != nil {
		return 0, err
	}
	claim := r.Header.Get(api.HeaderDevice)
	if claim == "" {
		return 0, errors.New("the request does not name its vault's device (header " + api.HeaderDevice + ")")
	}
	dev, err := api.ParseDeviceID(claim)
	if err != nil {
		return 0, fmt.Errorf("header %s: %w", api.HeaderDevice, err)
	}
	b.mu.Lock()
	held, ok := b.bound[cert]
	b.mu.Unlock()
	if ok && held == dev {
		return dev, nil
	}
	if err := b.store.Bind(r.Context(), api.Binding{Cert: cert, Device: dev, Bound: b.now()}); err != nil {
		if errors.Is(err, api.ErrForbidden) {
			return 0, err
		}
		return 0, fmt.Errorf("%w: bind certificate %s to device %s: %v", api.ErrInternal, cert.Serial, dev, err)
	}
	b.mu.Lock()
	b.bound[cert] = dev
	b.mu.Unlock()
	return dev, nil
}
