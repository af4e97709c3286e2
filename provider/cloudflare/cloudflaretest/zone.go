package cloudflaretest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// zone holds the records of one zone, indexed by id and by name so that the conflict checks of
// a write cost no more than the records at that name.
type zone struct {
	id        string
	name      string
	createdOn time.Time
	records   map[string]Record
	byName    map[string]map[string]struct{}
}

func newZone(id, name string, now time.Time) *zone {
	return &zone{id: id, name: name, createdOn: now, records: map[string]Record{}, byName: map[string]map[string]struct{}{}}
}

// undo restores what one write changed: the record that was at id before, or none.
type undo struct {
	id      string
	before  Record
	existed bool
}

func (z *zone) set(r Record) undo {
	before, existed := z.records[r.ID]
	if existed {
		z.unindex(before)
	}
	z.records[r.ID] = r
	ids := z.byName[r.Name]
	if ids == nil {
		ids = map[string]struct{}{}
		z.byName[r.Name] = ids
	}
	ids[r.ID] = struct{}{}
	return undo{id: r.ID, before: before, existed: existed}
}

func (z *zone) remove(id string) undo {
	before, existed := z.records[id]
	if existed {
		z.unindex(before)
		delete(z.records, id)
	}
	return undo{id: id, before: before, existed: existed}
}

func (z *zone) unindex(r Record) {
	ids := z.byName[r.Name]
	delete(ids, r.ID)
	if len(ids) == 0 {
		delete(z.byName, r.Name)
	}
}

// rollback undoes writes, most recent first.
func (z *zone) rollback(undos []undo) {
	for i := len(undos) - 1; i >= 0; i-- {
		u := undos[i]
		if u.existed {
			z.set(u.before)
		} else {
			z.remove(u.id)
		}
	}
}

// checkConflicts reports why r (already normalized) cannot be stored beside the other records
// at its name, ignoring the record with r's own id.
func (z *zone) checkConflicts(r Record) *apiError {
	combined := len(r.Content)
	for id := range z.byName[r.Name] {
		if id == r.ID {
			continue
		}
		other := z.records[id]
		switch {
		case identical(r, other):
			return badRequest(CodeIdenticalRecord, "An identical record already exists.")
		case r.Type == "CNAME" && (other.Type == "A" || other.Type == "AAAA" || other.Type == "CNAME"):
			return badRequest(CodeHostHasRecords, "An A, AAAA, or CNAME record with that host already exists.")
		case (r.Type == "A" || r.Type == "AAAA") && other.Type == "CNAME":
			return badRequest(CodeHostHasCNAME, "A CNAME record with that host already exists.")
		}
		if other.Type == r.Type {
			combined += len(other.Content)
		}
	}
	if combined > maxCombinedContent {
		return badRequest(CodeInvalidField, "The combined content of the %s records at %s would be %d characters, at most %d are allowed.", r.Type, r.Name, combined, maxCombinedContent)
	}
	return nil
}

func recordNotFound(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: CodeRecordNotFound, message: fmt.Sprintf("Record does not exist. (id %s)", id)}
}

// write stores in as a new record (id given by newID) or over the record with id, checking it
// like the API does, and returns the stored record and how to undo the write.
func (z *zone) write(base Record, in recordInput, replace bool, now time.Time) (Record, undo, *apiError) {
	merged, err := mergeInput(base, in, replace)
	if err != nil {
		return Record{}, undo{}, err
	}
	r, err := normalizeRecord(merged, z.name)
	if err != nil {
		return Record{}, undo{}, err
	}
	if err := z.checkConflicts(r); err != nil {
		return Record{}, undo{}, err
	}
	r.ModifiedOn = now
	return r, z.set(r), nil
}

// sorted returns the records for which keep is true, in the order the emulator lists them:
// by name, then type, then content, then id.
func (z *zone) sorted(keep func(Record) bool) []Record {
	out := make([]Record, 0, len(z.records))
	for _, r := range z.records {
		if keep(r) {
			out = append(out, r)
		}
	}
	sortRecords(out)
	return out
}

func sortRecords(records []Record) {
	slices.SortFunc(records, func(a, b Record) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Content, b.Content), cmp.Compare(a.ID, b.ID))
	})
}

// sortedAt is sorted for the records at one name, without looking at the rest of the zone.
func (z *zone) sortedAt(name string, keep func(Record) bool) []Record {
	out := make([]Record, 0, len(z.byName[name]))
	for id := range z.byName[name] {
		if r := z.records[id]; keep(r) {
			out = append(out, r)
		}
	}
	sortRecords(out)
	return out
}
