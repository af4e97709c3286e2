package endpoint

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTTL reads a TTL as annotations and flags spell it, in seconds ("60") or as a Go
// duration ("1m"; "1.5s" is 1 second). The result lies in 1..2147483647 (RFC 2181 8);
// anything else is an error.
func ParseTTL(s string) (TTL, error) {
	s = strings.TrimSpace(s)
	var seconds int64
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err == nil:
		seconds = n
	case errors.Is(err, strconv.ErrRange):
		return 0, errors.New("out of range 1..2147483647")
	default:
		d, derr := time.ParseDuration(s)
		if derr != nil {
			return 0, errors.New("neither a number of seconds nor a duration such as 1m")
		}
		seconds = int64(d / time.Second)
	}
	if seconds < 1 || seconds > math.MaxInt32 {
		return 0, fmt.Errorf("%d seconds is out of range 1..2147483647", seconds)
	}
	return TTL(seconds), nil
}
