// Package pki is the organisation's small public-key infrastructure: the
// certificate authority that the archive server and every enrolled
// workstation trust, and nothing else. It uses only Go's standard crypto
// (crypto/x509, crypto/tls, crypto/ecdsa with P-256).
//
// # The folder
//
// Everything lives in one folder on the archive machine (folio-archive uses
// DATA/pki):
//
//	org.json      organisation name, server host names, CA fingerprint
//	ca.crt        the organisation's CA, self-signed, 20 years
//	ca.key        its private key (0600); whoever holds it can enroll devices
//	server.crt    the archive's TLS certificate, signed by the CA, 5 years
//	server.key    its private key (0600)
//	devices.json  the device registry: name, serial, status, validity
//	crl.pem       the CA-signed list of revoked serials (X.509 CRL)
//
// A device's private key is never kept here: it exists only in the
// enrollment file handed to that device.
//
// # Invariants
//
//   - Nothing is ever half-written: every file is written to a temporary
//     file, fsynced, renamed into place and the folder fsynced. Private keys
//     are created 0600.
//   - Init never overwrites an existing CA: a second CA would silently cut
//     off every enrolled device.
//   - The server trusts only certificates chained to the organisation's CA,
//     TLS 1.3 only, a client certificate is required, and every handshake
//     (resumed ones too) is checked against crl.pem as it is on disk at that
//     moment: revoking takes effect without restarting the server. A server
//     also checks each request (Revocations), so that a connection held
//     open is cut off too. A missing, unreadable or wrongly signed CRL
//     refuses every device (fail closed).
//   - A workstation trusts only its organisation's CA (the pinned CA in its
//     enrollment file), never the system's roots.
//   - The package holds no PHI: certificates name devices, not people or
//     patients.
//
// # Caveats
//
// Registry changes (AddDevice, Revoke) are meant for one administrator at a
// time; two concurrent runs may lose one registry update (never a key).
// Clocks: certificates are back-dated by an hour so a workstation whose
// clock is a little behind still accepts the server.
package pki
