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
	return "", Invalidf("role %q: use admin, records, scanning or clinician", s)
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
	PermEncounterRead  Permission = "encounter.read"  // read encounters and their notes
	PermEncounterWrite Permission = "encounter.write" // record encounters, write and sign one's own notes, add addenda
	PermSummaryRead    Permission = "summary.read"    // read a chart's allergies, problems and medications
	PermSummaryWrite   Permission = "summary.write"   // record and resolve allergies, problems and medications
	PermCode           Permission = "coding"          // code signed encounters, query the clinician
	PermCompletion     Permission = "completion"      // see one's own deficiencies and a chart's completeness
	PermCompletionAll  Permission = "completion.all"  // see every open deficiency (the records manager's worklist)
	PermCompletionSet  Permission = "completion.set"  // change the record-completion thresholds
)

var rolePermissions = map[Role][]Permission{
	RoleAdmin: {PermPatientSearch, PermPatientRead, PermPatientWrite, PermPatientMerge,
		PermUserManage, PermAuditRead, PermVerify, PermDocImport, PermDocRead, PermCompletionSet},
	RoleRecords: {PermPatientSearch, PermPatientRead, PermPatientWrite, PermPatientMerge,
		PermRestrictedRead, PermAuditRead, PermVerify, PermDocImport, PermDocIndex, PermDocVerify, PermDocRead,
		PermEncounterRead, PermSummaryRead, PermCode, PermCompletion, PermCompletionAll, PermCompletionSet},
	RoleScanning: {PermPatientSearch, PermPatientRead, PermDocImport, PermDocIndex, PermDocRead},
	RoleClinician: {PermPatientSearch, PermPatientRead, PermPatientWrite, PermBreakGlass, PermDocRead,
		PermEncounterRead, PermEncounterWrite, PermSummaryRead, PermSummaryWrite, PermCompletion},
}

// Can reports whether the role has the permission.
func (r Role) Can(p Permission) bool { return slices.Contains(rolePermissions[r], p) }

// RoleSet is the roles one user holds: at least one, each once, in the
// order of Roles. A user may do what any of their roles allows (a small
// clinic's administrator is often its records clerk too); an
// administrator is one whose roles include RoleAdmin.
type RoleSet []Role

// NewRoleSet checks roles and returns them as a set: known roles, at least
// one, duplicates dropped, in the order of Roles.
func NewRoleSet(roles ...Role) (RoleSet, error) {
	if len(roles) == 0 {
		return nil, Invalidf("give the user at least one role: admin, records, scanning or clinician")
	}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return nil, Invalidf("role %q: use admin, records, scanning or clinician", r)
		}
	}
	var set RoleSet
	for _, r := range Roles {
		if slices.Contains(roles, r) {
			set = append(set, r)
		}
	}
	return set, nil
}

// ParseRoles reads role names as the command line gives them: each
// argument one name or several separated by commas ("admin,records-clerk"),
// in any case, with ParseRole's synonyms.
func ParseRoles(args ...string) (RoleSet, error) {
	var roles []Role
	for _, arg := range args {
		for name := range strings.SplitSeq(arg, ",") {
			if strings.TrimSpace(name) == "" {
				continue
			}
			r, err := ParseRole(name)
			if err != nil {
				return nil, err
			}
			roles = append(roles, r)
		}
	}
	return NewRoleSet(roles...)
}

// Has reports whether the set holds role r.
func (rs RoleSet) Has(r Role) bool { return slices.Contains(rs, r) }

// Can reports whether any of the roles has the permission.
func (rs RoleSet) Can(p Permission) bool {
	_, ok := rs.Granting(p)
	return ok
}

// Granting returns the role whose permission p an act uses: the first of
// the set that has it, the administrator's last (an administrator who is
// also the records clerk files a document as the records clerk, and uses
// the administrator's rights only where no other role of theirs reaches).
func (rs RoleSet) Granting(p Permission) (Role, bool) {
	for _, r := range rs {
		if r != RoleAdmin && r.Can(p) {
			return r, true
		}
	}
	if rs.Has(RoleAdmin) && RoleAdmin.Can(p) {
		return RoleAdmin, true
	}
	return "", false
}

// Primary is the one role an older Folio reads from a user's record (it
// knows a single role): the administrator's when the set has it, so an
// older workstation keeps an administrator's rights right, else the first.
func (rs RoleSet) Primary() Role {
	switch {
	case rs.Has(RoleAdmin):
		return RoleAdmin
	case len(rs) == 0:
		return ""
	}
	return rs[0]
}

// Label names the roles for people: "Administrator, Records clerk".
func (rs RoleSet) Label() string {
	labels := make([]string, len(rs))
	for i, r := range rs {
		labels[i] = r.Label()
	}
	return strings.Join(labels, ", ")
}

// String is the roles as the command line takes them: "admin,records".
func (rs RoleSet) String() string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

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
	PermEncounterRead:  "read encounters and notes",
	PermEncounterWrite: "record encounters or write notes",
	PermSummaryRead:    "read a chart's allergies, problems and medications",
	PermSummaryWrite:   "record or resolve allergies, problems and medications",
	PermCode:           "code encounters",
	PermCompletion:     "see deficiencies (record completion)",
	PermCompletionAll:  "see every open deficiency (the records manager's worklist)",
	PermCompletionSet:  "change the record-completion thresholds",
}

// RoleError is the refusal of an act none of the user's roles allows: it
// says, in a sentence, what the user's roles may not do and which roles
// may. It wraps ErrForbidden.
type RoleError struct {
	Roles      RoleSet
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
	var msg string
	switch len(e.Roles) {
	case 0:
		msg = "a user without a role may not " + does
	case 1:
		msg = fmt.Sprintf("your role (%s) may not %s", e.Roles.Label(), does)
	default:
		msg = fmt.Sprintf("none of your roles (%s) may %s", e.Roles.Label(), does)
	}
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
