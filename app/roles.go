package app

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a user does in the clinic; it decides their permissions.
type Role string

// The roles.
const (
	RoleAdmin     Role = "admin"     // administrator: users, devices, audit, verification
	RoleRecords   Role = "records"   // records (HIM) clerk or manager
	RoleScanning  Role = "scanning"  // scanning clerk
	RoleClinician Role = "clinician" // doctor, nurse, clinical officer
)

// Roles lists every role, for pickers.
var Roles = []Role{RoleAdmin, RoleRecords, RoleScanning, RoleClinician}

// ParseRole accepts a role name in any case, with a few common synonyms.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "admin", "administrator":
		return RoleAdmin, nil
	case "records", "him", "records-clerk":
		return RoleRecords, nil
	case "scanning", "scan", "scanning-clerk":
		return RoleScanning, nil
	case "clinician", "doctor", "nurse":
		return RoleClinician, nil
	}
	return "", fmt.Errorf("%w: role %q: use admin, records, scanning or clinician", ErrInvalid, s)
}

// Label is the role's name for people.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "Administrator"
	case RoleRecords:
		return "Records clerk"
	case RoleScanning:
		return "Scanning clerk"
	case RoleClinician:
		return "Clinician"
	}
	return string(r)
}

// Permission is one thing a role may do.
type Permission string

// The permissions the services check.
const (
	PermPatientSearch  Permission = "patient.search"  // find patients, see demographics in results
	PermPatientRead    Permission = "patient.read"    // open a patient's record
	PermPatientWrite   Permission = "patient.write"   // register and amend patients
	PermPatientMerge   Permission = "patient.merge"   // merge and un-merge duplicates
	PermRestrictedRead Permission = "restricted.read" // open restricted charts without break-glass
	PermBreakGlass     Permission = "break-glass"     // open a chart outside one's permissions, with a reason
	PermUserManage     Permission = "user.manage"     // add, disable users; reset passwords
	PermAuditRead      Permission = "audit.read"      // review the audit trail
	PermVerify         Permission = "vault.verify"    // run the integrity check
	PermDocImport      Permission = "document.import" // bring scanned files in
	PermDocIndex       Permission = "document.index"  // file queued documents: patient, type, date
	PermDocVerify      Permission = "document.verify" // quality-check filed documents
	PermDocRead        Permission = "document.read"   // open documents and their pages
)

var rolePermissions = map[Role][]Permission{
	RoleAdmin: {PermPatientSearch, PermPatientRead, PermPatientWrite, PermPatientMerge,
		PermUserManage, PermAuditRead, PermVerify, PermDocImport, PermDocRead},
	RoleRecords: {PermPatientSearch, PermPatientRead, PermPatientWrite, PermPatientMerge,
		PermRestrictedRead, PermAuditRead, PermVerify, PermDocImport, PermDocIndex, PermDocVerify, PermDocRead},
	RoleScanning:  {PermPatientSearch, PermPatientRead, PermDocImport, PermDocIndex, PermDocRead},
	RoleClinician: {PermPatientSearch, PermPatientRead, PermPatientWrite, PermBreakGlass, PermDocRead},
}

// Can reports whether the role has the permission.
func (r Role) Can(p Permission) bool { return slices.Contains(rolePermissions[r], p) }

// permissionDoes says what each permission lets a person do, as the
// sentence of a refusal reads it ("may not …").
var permissionDoes = map[Permission]string{
	PermPatientSearch:  "search for patients",
	PermPatientRead:    "open patients' records",
	PermPatientWrite:   "register or amend patients",
	PermPatientMerge:   "merge or un-merge duplicate patients",
	PermRestrictedRead: "open restricted charts without giving a reason",
	PermBreakGlass:     "open a restricted chart with a reason (break-glass)",
	PermUserManage:     "add, change or disable users",
	PermAuditRead:      "review the audit trail",
	PermVerify:         "run the integrity check",
	PermDocImport:      "import scans",
	PermDocIndex:       "index documents (file them to a patient, type and date)",
	PermDocVerify:      "quality-check filed documents",
	PermDocRead:        "open documents",
}

// RoleError is the refusal of an act the user's role does not allow: it
// says, in a sentence, what the role may not do and which roles may. It
// wraps ErrForbidden.
type RoleError struct {
	Role       Role
	Permission Permission
}

func (e *RoleError) Error() string {
	does := permissionDoes[e.Permission]
	if does == "" {
		does = string(e.Permission)
	}
	var who []string
	for _, r := range Roles {
		if r.Can(e.Permission) {
			who = append(who, strings.ToLower(r.Label())+"s")
		}
	}
	msg := fmt.Sprintf("your role (%s) may not %s", e.Role.Label(), does)
	switch len(who) {
	case 0:
	case 1:
		msg += "; " + who[0] + " may"
	default:
		msg += "; " + strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1] + " may"
	}
	return msg
}

// Unwrap makes a RoleError an ErrForbidden.
func (e *RoleError) Unwrap() error { return ErrForbidden }
