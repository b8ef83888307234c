package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The scanners work on bytes and decode runes only at the edges of a
// candidate, where a letter before or after decides whether a number is a
// phone number or part of a word. Invalid UTF-8 decodes as RuneError,
// which counts as punctuation: it never makes a match longer.

// labelRune is what runeBefore and runeAt report for a label left by an
// earlier pass. A label stands for the word it replaced, so a number that
// was glued to an address ("jane@example.com+44 20 7946 0958") is still
// glued to "[email]" on the second pass, and redacting twice changes
// nothing more than redacting once.
const labelRune = '\uE000'

// runeBefore returns the rune that ends at byte i, and its width (0 at the
// start of s).
func runeBefore(s string, i int) (rune, int) {
	if i <= 0 || i > len(s) {
		return 0, 0
	}
	if s[i-1] == ']' {
		for _, k := range allKinds {
			if l := k.label(); strings.HasSuffix(s[:i], l) {
				return labelRune, len(l)
			}
		}
	}
	return utf8.DecodeLastRuneInString(s[:i])
}

// runeAt returns the rune that starts at byte i, and its width (0 at the
// end of s).
func runeAt(s string, i int) (rune, int) {
	if i < 0 || i >= len(s) {
		return 0, 0
	}
	if s[i] == '[' {
		for _, k := range allKinds {
			if l := k.label(); strings.HasPrefix(s[i:], l) {
				return labelRune, len(l)
			}
		}
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		c := byte(r)
		return c == '_' || isDigit(c) || isASCIILetter(c)
	}
	return r == labelRune || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isASCIILetter(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }

// numberStartOK reports whether a number may begin at byte i. It may not
// continue a word or another number ("ORD-2024-000123", "v10.4.12",
// "1,234.56"), follow a "#" (an order or ticket number) or a currency
// sign (an amount).
func numberStartOK(s string, i int) bool {
	r, n := runeBefore(s, i)
	switch {
	case n == 0:
		return true
	case isWordRune(r), r == '#', r == '№', unicode.Is(unicode.Sc, r):
		return false
	case strings.ContainsRune(".,-/@+", r):
		// "-" after a space is a dash in prose; after a word it glues.
		r2, n2 := runeBefore(s, i-n)
		return n2 == 0 || !isWordRune(r2)
	}
	return true
}

// numberEndOK reports whether a number may end at byte i: it may not run
// into a word, another number ("0958.5", "12/27"), a percent sign or a
// currency sign.
func numberEndOK(s string, i int) bool {
	r, n := runeAt(s, i)
	switch {
	case n == 0:
		return true
	case isWordRune(r), r == '%', r == '@', unicode.Is(unicode.Sc, r):
		return false
	case strings.ContainsRune(".,-/:", r):
		r2, n2 := runeAt(s, i+n)
		return n2 == 0 || !isWordRune(r2)
	}
	return true
}

// wordBefore returns the word, lower-cased, that ends before byte i,
// across the spaces and punctuation that separate a label from its value
// ("IMEI: 4901...", "Order no. 0612...", "Version 1.2.3.4"), and the byte
// where that word starts. It returns "" when there is no such word.
func wordBefore(s string, i int) (string, int) {
	j := i
	for steps := 0; steps < 4; steps++ {
		r, n := runeBefore(s, j)
		if n == 0 || (r != ' ' && r != ':' && r != '.' && r != '#' && r != '\t') {
			break
		}
		j -= n
	}
	k := j
	for j-k < 32 {
		r, n := runeBefore(s, k)
		if n == 0 || !unicode.IsLetter(r) && r != '°' {
			break
		}
		k -= n
	}
	if r, _ := runeBefore(s, k); isWordRune(r) {
		return "", k // glued to digits, or too long to be a label
	}
	return strings.ToLower(s[k:j]), k
}
