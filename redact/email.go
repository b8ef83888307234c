package redact

import (
	"strings"
	"unicode"
)

// findEmails finds addresses by their "@": the local part is read
// backwards from it and the domain forwards. Only the everyday part of RFC
// 5322 is recognised: quoted local parts and characters such as "/" or "="
// are legal but, in prose, far more often glue an address to the word
// before it ("mailto=", "CC/") than belong to it.
func findEmails(s string, cs []candidate) []candidate {
	floor := 0 // no local part reaches back before this (the last "@" or address)
	for from := 0; from < len(s); {
		j := strings.IndexByte(s[from:], '@')
		if j < 0 {
			break
		}
		at := from + j
		start := localStart(s, floor, at)
		end := domainEnd(s, at+1)
		if start < at && end > at+1 && !strings.HasPrefix(s[end:], "@") && !strings.HasPrefix(s[end:], "_") {
			cs = append(cs, candidate{start: start, end: end, kind: KindEmail, rank: rankEmail})
			floor, from = end, end
			continue
		}
		floor, from = at+1, at+1
	}
	return cs
}

func isLocalRune(r rune) bool {
	return r < 0x80 && strings.ContainsRune("._%+-", r) || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// localStart returns where the local part ending at the "@" at byte at
// begins, or at when there is none.
func localStart(s string, floor, at int) int {
	i := at
	for i > floor {
		r, n := runeBefore(s, i)
		if r == '\'' {
			// An apostrophe belongs to the address only inside a name
			// (o'brien@...), not when it quotes the address.
			p, _ := runeBefore(s, i-n)
			q, _ := runeAt(s, i)
			if !unicode.IsLetter(p) || !unicode.IsLetter(q) {
				break
			}
		} else if r == labelRune {
			return at // glued to an earlier finding: not an address of its own
		} else if !isLocalRune(r) {
			break
		}
		i -= n
	}
	for i < at && s[i] == '.' { // a sentence's full stop, not the address
		i++
	}
	local := s[i:at]
	if local == "" || len(local) > 64 || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return at
	}
	return i
}

// domainEnd returns where the domain starting at byte i ends, or i when
// there is no valid domain: dot-separated labels of letters, digits and
// hyphens, ending in an alphabetic top-level label.
func domainEnd(s string, i int) int {
	j := i
	for j < len(s) {
		r, n := runeAt(s, j)
		if r == labelRune {
			return i // glued to an earlier finding
		}
		if r != '.' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		j += n
	}
	for j > i && (s[j-1] == '.' || s[j-1] == '-') {
		j--
	}
	domain := s[i:j]
	if len(domain) > 253 {
		return i
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return i
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return i
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(tld, "xn--") {
		return j
	}
	letters := 0
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return i
		}
		letters++
	}
	if letters < 2 {
		return i
	}
	return j
}
