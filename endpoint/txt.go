package endpoint

import "strings"

// maxCharacterString is the longest character-string a TXT record can hold (RFC 1035 3.3).
const maxCharacterString = 255

// TXTStrings turns a TXT target into the character-strings a provider stores: one pair of
// surrounding double quotes is removed and the value is cut into pieces of at most 255
// bytes. Values longer than 255 bytes therefore survive a round trip through
// TXTStrings and TXTTarget.
func TXTStrings(target string) []string {
	v := Unquote(target)
	if v == "" {
		return []string{""}
	}
	var out []string
	for len(v) > maxCharacterString {
		out = append(out, v[:maxCharacterString])
		v = v[maxCharacterString:]
	}
	return append(out, v)
}

// TXTTarget joins the character-strings of one TXT record into the target form used in
// Endpoints: the concatenation, in double quotes. Joining before parsing is what lets
// ownership values longer than 255 bytes be read back (upstream parses only the first
// string and loses ownership).
func TXTTarget(strs []string) string {
	return `"` + strings.Join(strs, "") + `"`
}

// Unquote removes one pair of surrounding double quotes, if present.
func Unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
