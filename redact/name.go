package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes bounds the length of a name, folded. No one's first or
// last name is longer; the bound keeps the search linear in the text
// however many names the caller passes.
const maxNameBytes = 128

// findNames finds the subject's own names as whole words. Matching ignores
// case and the diacritics people often drop when they type a name, so the
// name "Zoë" also finds "ZOE" and "zoë" (precomposed or with a combining
// diaeresis), and typographic apostrophes match straight ones
// ("O’Brien"). A name of fewer than two letters would match initials and
// ordinary words, so it is ignored.
func findNames(s string, names []string, cs []candidate) []candidate {
	isName := map[string]bool{}  // folded names
	isFirst := map[string]bool{} // their first words, where a match can start
	longestName := 0
	for _, name := range names {
		fn, _ := fold(name, false)
		fn = strings.TrimFunc(fn, func(r rune) bool { return !isWordRune(r) })
		if utf8.RuneCountInString(fn) < 2 || len(fn) > maxNameBytes || !strings.ContainsFunc(fn, unicode.IsLetter) {
			continue
		}
		isName[fn] = true
		longestName = max(longestName, len(fn))
		isFirst[fn[:wordEnd(fn, 0)]] = true
	}
	if len(isName) == 0 {
		return cs
	}
	folded, orig := fold(s, true)
	for i := 0; i < len(folded); {
		r, n := runeAt(folded, i)
		if !isWordRune(r) {
			i += n
			continue
		}
		j := wordEnd(folded, i)
		if !isFirst[folded[i:j]] {
			i = j
			continue
		}
		// The longest name that starts here and ends at the end of a word.
		longest := 0
		for e := j; e-i <= longestName; {
			if isName[folded[i:e]] {
				longest = e - i
			}
			k := e
			for k < len(folded) {
				r, n := runeAt(folded, k)
				if isWordRune(r) {
					break
				}
				k += n
			}
			if k >= len(folded) {
				break
			}
			e = wordEnd(folded, k)
		}
		if longest == 0 {
			i = j
			continue
		}
		start, end := i, i+longest
		if orig != nil {
			start, end = orig[start], orig[end]
		}
		cs = append(cs, candidate{start: start, end: end, kind: KindSubjectName, rank: rankName})
		i += longest
	}
	return cs
}

// wordEnd returns the end of the run of word runes starting at byte i.
func wordEnd(s string, i int) int {
	for i < len(s) {
		r, n := runeAt(s, i)
		if !isWordRune(r) {
			break
		}
		i += n
	}
	return i
}

// fold lowers s, strips diacritics from Latin letters, drops combining
// marks and straightens apostrophes and hyphens. With mapping, it also
// returns for each byte of the result (and one past the end) the offset in
// s of the rune it came from, so that a match in the folded text can be
// cut out of the original; for ASCII text that mapping is nil, as every
// byte stays where it was.
func fold(s string, mapping bool) (string, []int) {
	if isASCII(s) { // most text: one byte for one byte, no mapping needed
		return strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			} else if r == '`' {
				return '\''
			}
			return r
		}, s), nil
	}
	b := make([]byte, 0, len(s))
	var orig []int
	if mapping {
		orig = make([]int, 0, len(s)+1)
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // most text is ASCII
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			} else if c == '`' {
				c = '\''
			}
			b = append(b, c)
			if mapping {
				orig = append(orig, i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.Is(unicode.Mn, r) {
			i += n
			continue
		}
		before := len(b)
		if r == utf8.RuneError && n == 1 {
			b = append(b, 0xff) // one byte per invalid byte, never a letter
		} else {
			b = utf8.AppendRune(b, foldRune(r))
		}
		if mapping {
			for range len(b) - before {
				orig = append(orig, i)
			}
		}
		i += n
	}
	if mapping {
		orig = append(orig, len(s))
	}
	return string(b), orig
}

func foldRune(r rune) rune {
	if f, ok := latinFold[r]; ok {
		return f
	}
	switch r {
	case '\u2019', '\u2018', '\u02bc', '`', '\u00b4':
		return '\''
	case '\u2010', '\u2011':
		return '-'
	case 'ς':
		return 'σ'
	}
	return unicode.ToLower(r)
}

// latinFold maps accented Latin letters to their base letter.
var latinFold = func() map[rune]rune {
	m := make(map[rune]rune)
	for base, accented := range map[rune]string{
		'a': "àáâãäåāăąǎÀÁÂÃÄÅĀĂĄǍ",
		'c': "çćĉċčÇĆĈĊČ",
		'd': "ďđĎĐ",
		'e': "èéêëēĕėęěÈÉÊËĒĔĖĘĚ",
		'g': "ĝğġģĜĞĠĢ",
		'h': "ĥħĤĦ",
		'i': "ìíîïĩīĭįıÌÍÎÏĨĪĬĮİ",
		'j': "ĵĴ",
		'k': "ķĶ",
		'l': "ĺļľŀłĹĻĽĿŁ",
		'n': "ñńņňÑŃŅŇ",
		'o': "òóôõöøōŏőǒÒÓÔÕÖØŌŎŐǑ",
		'r': "ŕŗřŔŖŘ",
		's': "śŝşšșŚŜŞŠȘ",
		't': "ţťŧțŢŤŦȚ",
		'u': "ùúûüũūŭůűųǔÙÚÛÜŨŪŬŮŰŲǓ",
		'w': "ŵŴ",
		'y': "ýÿŷÝŸŶ",
		'z': "źżžŹŻŽ",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
