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
