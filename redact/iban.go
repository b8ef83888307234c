package redact

// ibanLengths is the IBAN length of each country in the SWIFT IBAN
// registry. A country not listed may still issue IBANs; those are accepted
// at any length from 15 to 34 when they are written in capitals and pass
// mod 97.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
	"BG": 22, "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22,
	"CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20,
	"EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22,
	"GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21,
	"HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30,
	"KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
	"PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24,
	"SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26,
	"UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

const (
	ibanMin = 15
	ibanMax = 34
)

// findIBANs finds IBANs written compactly ("DE89370400440532013000") or in
// groups of four ("DE89 3704 0044 0532 0130 00", or with dashes), in capitals or, less
// often, all in lower case. Something shaped like an IBAN that fails mod 97
// is returned as a shield: it is a mistyped IBAN or some other reference,
// and its digits are not a phone number either.
func findIBANs(s string, cs []candidate) []candidate {
	for i := 0; i+4 <= len(s); i++ {
		if !isASCIILetter(s[i]) || !isASCIILetter(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
			continue
		}
		if r, _ := runeBefore(s, i); isWordRune(r) {
			continue
		}
		end, valid, ok := scanIBAN(s, i)
		if !ok {
			continue
		}
		c := candidate{start: i, end: end, rank: rankIBAN}
		if valid {
			c.kind = KindIBAN
		}
		cs = append(cs, c)
		i = end - 1
	}
	return cs
}

// scanIBAN reads the IBAN-shaped text starting at byte i. ok reports
// whether there is one, valid whether it passes its checks.
func scanIBAN(s string, i int) (end int, valid, ok bool) {
	upper := s[i] <= 'Z'
	if upper != (s[i+1] <= 'Z') {
		return 0, false, false
	}
	// The BBAN must be written in the same case as the country code: a
	// capitalised word after a lower-case code is prose, not an account.
	inCase := func(c byte) bool {
		if isDigit(c) {
			return true
		}
		if upper {
			return 'A' <= c && c <= 'Z'
		}
		return 'a' <= c && c <= 'z'
	}
	cc := [2]byte{s[i] &^ 0x20, s[i+1] &^ 0x20}
	want, known := ibanLengths[string(cc[:])]
	if !known && !upper {
		return 0, false, false
	}
	buf := make([]byte, 0, ibanMax)
	run := func(p int) int { // end of the run of alphanumerics at p
		q := p
		for q < len(s) && q-p <= ibanMax && (isDigit(s[q]) || isASCIILetter(s[q])) {
			q++
		}
		return q
	}
	first := run(i)
	for p := i; p < first; p++ {
		if !inCase(s[p]) {
			return 0, false, false
		}
	}
	end = first
	switch {
	case first-i > 4: // compact
		buf = append(buf, s[i:first]...)
	case first-i == 4: // grouped in fours, the last group possibly shorter
		buf = append(buf, s[i:first]...)
		var sep byte // a space, or less often a dash, throughout
		for (!known || len(buf) < want) && len(buf) < ibanMax {
			if end+1 >= len(s) || (s[end] != ' ' && s[end] != '-') || (sep != 0 && s[end] != sep) {
				break
			}
			sep = s[end]
			q := run(end + 1)
			g := s[end+1 : q]
			if len(g) == 0 || len(g) > 4 {
				break
			}
			inGroup := true
			for k := range len(g) {
				inGroup = inGroup && inCase(g[k])
			}
			if !inGroup {
				break
			}
			buf = append(buf, g...)
			end = q
			if len(g) < 4 {
				break
			}
		}
	default:
		return 0, false, false
	}
	if r, _ := runeAt(s, end); isWordRune(r) {
		return 0, false, false
	}
	if len(buf) < ibanMin || len(buf) > ibanMax {
		return 0, false, false
	}
	for k, c := range buf {
		if 'a' <= c && c <= 'z' {
			buf[k] = c - 'a' + 'A'
		}
	}
	valid = (!known || len(buf) == want) && ibanChecksumOK(buf)
	return end, valid, true
}

// ibanChecksumOK applies ISO 7064 MOD 97-10 to an IBAN in capitals without
// spaces: with the first four characters moved to the end and letters
// read as 10..35, the number must leave 1 when divided by 97. Check digits
// 00, 01 and 99 can never be produced by the algorithm, so they are
// refused too.
func ibanChecksumOK(iban []byte) bool {
	if len(iban) < 5 || !isDigit(iban[2]) || !isDigit(iban[3]) {
		return false
	}
	if cd := int(iban[2]-'0')*10 + int(iban[3]-'0'); cd < 2 || cd > 98 {
		return false
	}
	rem := 0
	for k := range len(iban) {
		c := iban[(k+4)%len(iban)]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}
