package endpoint

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxQuoted is how many bytes of a value Quote shows. It keeps a whole label of 64 bytes
// (one too long) readable while a megabyte annotation stays a line in the log.
const MaxQuoted = 128

// Quote renders a value read from outside (an annotation, a hostname, a target, a TXT
// value, a manifest field) for an error message. A value of at most MaxQuoted bytes is
// rendered as strconv.Quote (and %q) does. A longer one is cut to its first MaxQuoted
// bytes (fewer when the cut would split a UTF-8 sequence: it moves back to the sequence's
// start), followed by "…" inside the quotes, and then by its length and the number of
// bytes left out:
//
//	"aaaa…" (1048576 bytes, 1048448 not shown)
//
// Quoting escapes control characters and invalid UTF-8 (at most 4 bytes for each byte
// shown), so the result holds at most 4*MaxQuoted bytes besides the quotes, "…" and
// the note.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	n := MaxQuoted
	for n > MaxQuoted-utf8.UTFMax+1 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s (%d bytes, %d not shown)", strconv.Quote(s[:n]+"…"), len(s), len(s)-n)
}
