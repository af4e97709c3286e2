package batch

import "iter"

// Additive returns a Packer for limits that add up, such as a most number of changes or
// of bytes per request. size(w) is what a unit of wire form w counts against each of
// limits, in the same order; a batch counts the sum of its units, and is cut where the
// next unit would take a count over its limit. A unit over a limit on its own is too big.
//
// Units go into batches in the order they come, so a batch holds consecutive units and
// may be less full than a reordering would make it. Additive draws one unit at a time: the
// batch it cuts is emitted when the unit after it has been converted, and before the one
// after that is. size is called once per unit.
func Additive[W any](limits []int, size func(w W) []int) Packer[W] {
	fits := func(sum, more []int) bool {
		for k, limit := range limits {
			if sum[k]+more[k] > limit {
				return false
			}
		}
		return true
	}
	return func(units iter.Seq[Unit[W]], emit func([]Unit[W]) bool) (tooBig []Unit[W]) {
		none := make([]int, len(limits))
		var open []Unit[W]
		sum := make([]int, len(limits))
		for u := range units {
			s := size(u.Wire)
			if !fits(none, s) {
				tooBig = append(tooBig, u)
				continue
			}
			if len(open) > 0 && !fits(sum, s) {
				if !emit(open) {
					return tooBig
				}
				open = nil
				clear(sum)
			}
			open = append(open, u)
			for k := range sum {
				sum[k] += s[k]
			}
		}
		if len(open) > 0 {
			emit(open)
		}
		return tooBig
	}
}
