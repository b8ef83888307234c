package redact

import (
	"net/netip"
	"strings"
)

// findIPs finds IPv4 and IPv6 addresses. Candidates are cut out by shape
// and net/netip decides what an address is, so octets over 255, leading
// zeros and malformed "::" never pass.
func findIPs(s string, cs []candidate) []candidate {
	cs = findIPv4(s, cs)
	return findIPv6(s, cs)
}

// versionWords precede dotted numbers that are versions, not addresses
// ("firmware 2.4.10.3").
var versionWords = map[string]bool{
	"v": true, "ver": true, "version": true, "release": true, "build": true,
	"firmware": true, "fw": true, "rev": true, "revision": true, "patch": true,
	"update": true, "upgrade": true, "upgraded": true, "updated": true,
}

func isVersion(s string, i int) bool {
	w, _ := wordBefore(s, i)
	return versionWords[w]
}

func findIPv4(s string, cs []candidate) []candidate {
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		end := i
		for end < len(s) && (isDigit(s[end]) || s[end] == '.') {
			end++
		}
		for end > i && s[end-1] == '.' { // a full stop after the address
			end--
		}
		if ipv4StartOK(s, i) && ipv4EndOK(s, end) && strings.Count(s[i:end], ".") == 3 {
			if a, err := netip.ParseAddr(s[i:end]); err == nil && a.Is4() && !isVersion(s, i) {
				cs = append(cs, candidate{start: i, end: end, kind: KindIP, rank: rankIP})
			}
		}
		i = end + 1
	}
	return cs
}

// An IPv4 address is not the tail of a longer dotted number or word
// ("1.2.3.4.5", "v1.2.3.4"); a dash before it is allowed, for ranges such
// as "192.0.2.1-192.0.2.9".
func ipv4StartOK(s string, i int) bool {
	r, n := runeBefore(s, i)
	return n == 0 || !isWordRune(r) && r != '.'
}

func ipv4EndOK(s string, i int) bool {
	r, n := runeAt(s, i)
	if n == 0 {
		return true
	}
	if isWordRune(r) {
		return false
	}
	if r == '.' {
		next, _ := runeAt(s, i+1)
		return !isWordRune(next)
	}
	return true
}

func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f'
}

func findIPv6(s string, cs []candidate) []candidate {
	for from := 0; ; {
		j := strings.IndexByte(s[from:], ':')
		if j < 0 {
			return cs
		}
		// The run of hex digits, colons and dots around this colon.
		start, end := from+j, from+j
		for start > from && (isHexDigit(s[start-1]) || s[start-1] == ':' || s[start-1] == '.') {
			start--
		}
		for end < len(s) && (isHexDigit(s[end]) || s[end] == ':' || s[end] == '.') {
			end++
		}
		from = end
		if c, ok := ipv6Candidate(s, start, end); ok {
			cs = append(cs, c)
		}
	}
}

// ipv6Candidate finds the IPv6 address in the run s[start:end] of hex
// digits, colons and dots, if it holds one.
func ipv6Candidate(s string, start, end int) (candidate, bool) {
	if c, ok := ipv6Trimmed(s, start, end); ok {
		return c, true
	}
	// The run may begin with the tail of a word that happens to be hex
	// ("code:2001:db8::1", "see.2001:db8::1"); try again after it.
	if k := strings.IndexAny(s[start:end], ".:"); k >= 0 && !strings.HasPrefix(s[start+k:], "::") {
		return ipv6Trimmed(s, start+k+1, end)
	}
	return candidate{}, false
}

// ipv6Trimmed trims the run s[start:end] to an IPv6 address, if it holds
// one: a label before it (":2001:db8::1" after "addr") and punctuation
// after it ("2001:db8::1." or "2001:db8::1:") are not part of the address.
func ipv6Trimmed(s string, start, end int) (candidate, bool) {
	for start < end && s[start] == '.' {
		start++
	}
	if start+1 < end && s[start] == ':' && s[start+1] != ':' {
		start++
	}
	for end > start && s[end-1] == '.' {
		end--
	}
	if end-2 > start && s[end-1] == ':' && s[end-2] != ':' {
		end--
	}
	if r, _ := runeBefore(s, start); isWordRune(r) {
		return candidate{}, false
	}
	if r, _ := runeAt(s, end); isWordRune(r) {
		return candidate{}, false
	}
	text := s[start:end]
	hex := 0
	for k := range len(text) {
		if isHexDigit(text[k]) {
			hex++
		}
	}
	// "::" and "a::b" parse as addresses but in prose they are C++ or
	// Ruby scopes; real addresses carry more digits than that.
	if hex < 4 || strings.Count(text, ":") < 2 {
		return candidate{}, false
	}
	a, err := netip.ParseAddr(text)
	if err != nil || !a.Is6() {
		return candidate{}, false
	}
	return candidate{start: start, end: end, kind: KindIP, rank: rankIP}, true
}
