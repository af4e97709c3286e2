package route53test

import (
	"fmt"
	"slices"
	"strings"
)

// canonicalName turns a DNS name as a client may send it ("App.Example.com",
// "*.example.com", "\052.example.com.") into the form Route53 stores and lists: lower
// case, absolute, every byte outside [a-z0-9-_] of a label written as a three-digit
// octal escape. It rejects names Route53 refuses to store: empty labels, labels over 63
// bytes, names over 255 bytes.
func canonicalName(name string) (string, error) {
	labels := decodeLabels(name)
	if len(labels) == 0 {
		return "", fmt.Errorf("DNS name %q is empty", name)
	}
	size := 1
	for _, l := range labels {
		if l == "" {
			return "", fmt.Errorf("DNS name %q has an empty label", name)
		}
		if len(l) > 63 {
			return "", fmt.Errorf("DNS name %q has a label longer than 63 bytes", name)
		}
		size += len(l) + 1
	}
	if size > 255 {
		return "", fmt.Errorf("DNS name %q is longer than 255 bytes", name)
	}
	var b strings.Builder
	for _, l := range labels {
		writeEscapedLabel(&b, lowerASCII(l))
		b.WriteByte('.')
	}
	return b.String(), nil
}

func writeEscapedLabel(b *strings.Builder, label string) {
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(b, "\\%03o", c)
	}
}

// decodeLabels splits a presentation-form name into its labels as raw bytes: "\ooo"
// (octal, as Route53 writes) and "\c" escape a byte, an unescaped dot ends a label, and
// one trailing dot is optional.
func decodeLabels(name string) []string {
	if name == "" || name == "." {
		return nil
	}
	var labels []string
	var cur []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '\\' && i+3 < len(name) && isOctal(name[i+1]) && isOctal(name[i+2]) && isOctal(name[i+3]) && name[i+1] <= '3':
			cur = append(cur, (name[i+1]-'0')<<6|(name[i+2]-'0')<<3|(name[i+3]-'0'))
			i += 3
		case c == '\\' && i+1 < len(name):
			cur = append(cur, name[i+1])
			i++
		case c == '.':
			labels = append(labels, string(cur))
			cur = nil
		default:
			cur = append(cur, c)
		}
	}
	if len(cur) > 0 || !strings.HasSuffix(name, ".") {
		labels = append(labels, string(cur))
	}
	return labels
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// reversedLabels gives the key Route53 sorts names by: the decoded labels, last first
// ("www.example.com." sorts as com, example, www).
func reversedLabels(canonical string) []string {
	labels := decodeLabels(canonical)
	slices.Reverse(labels)
	return labels
}

func compareNames(a, b string) int {
	if a == b {
		return 0
	}
	return slices.Compare(reversedLabels(a), reversedLabels(b))
}

// inZone reports whether the canonical name lies at or below the canonical apex.
func inZone(name, apex string) bool {
	return name == apex || strings.HasSuffix(name, "."+apex)
}
