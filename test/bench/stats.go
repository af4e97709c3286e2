package bench

import (
	"slices"
	"time"
)

// Median returns the middle value of xs, or the mean of the two middle values when
// len(xs) is even; 0 for no values. xs is not modified.
func Median[T int | int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// Percentile returns the nearest-rank p-th percentile of ds (0 < p ≤ 100): the
// smallest sample that at least p percent of the samples do not exceed. It returns 0
// for no samples; p ≤ 0 gives the minimum and p ≥ 100 the maximum. ds is not modified.
//
// Nearest rank keeps every reported figure a real sample: the p50 of 20 samples is the
// 10th smallest, not an interpolation between the 10th and the 11th.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p / 100 * float64(len(s)))
	if float64(rank) < p/100*float64(len(s)) {
		rank++
	}
	return s[min(max(rank, 1), len(s))-1]
}
