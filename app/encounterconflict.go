package app

// encounterResolution refuses a resolution of an encounter in conflict
// that would drop a signature: once a branch signed the note (the author
// signed on one workstation while a draft was saved on another), the
// record keeps a signed branch's note, and what the other branch changed
// goes in an addendum. data is the resolution's record.
func encounterResolution(c Conflict, data []byte) error {
	signed := map[string]bool{} // the branches' signature hashes
	var by string
	for _, v := range c.Versions {
		e, err := decodeEncounter(StoredRecord{Kind: KindEncounter, ID: c.ID, Version: v.Version, Data: v.data})
		if err != nil {
			return err
		}
		if e.Signed != nil {
			signed[e.Signed.Hash], by = true, e.Signed.By
		}
	}
	if len(signed) == 0 {
		return nil
	}
	got, err := decodeEncounter(StoredRecord{Kind: KindEncounter, ID: c.ID, Data: data})
	if err == nil && got.Signed != nil {
		if signed[got.Signed.Hash] {
			return nil
		}
	}
	return Invalidf("encounter %s: %s signed its note on one of the workstations, and a signed note is final: keep the signed branch, then add what the other branch changed as an addendum", c.ID, by)
}
