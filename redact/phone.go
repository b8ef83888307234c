package redact

import "strings"

// maxPhoneGroups bounds how many groups one phone number may span; it also
// keeps the search for the longest number linear in the text.
const maxPhoneGroups = 8

// findPhones finds phone numbers. They have no checksum, so it accepts
// only layouts that people actually write and that other numbers rarely
// share:
//
//   - international: "+" and 8 to 15 digits in any grouping
//     ("+44 20 7946 0958", "+1 (415) 555-2671", "+4915112345678"), or
//     "00" and a country code, grouped ("0044 20 7946 0958");
//   - North American: 3-3-4 digits, the area code possibly in parentheses
//     ("(415) 555-2671", "415-555-2671", "1-800-555-0199");
//   - national numbers with a trunk "0": 9 to 12 digits in at least two
//     groups, one separator throughout ("020 7946 0958", "06 12 34 56 78",
//     "030 12345678", "030/12345678").
//
// A plain run of digits is never a phone number: it is far more often an
// order, invoice or tracking number. Dates are rejected by their shape,
// numbers after a label such as "Order" or "Invoice no." by their context,
// and digits that belong to a card or an IBAN lose to those recognisers.
// Known misses: national numbers without a trunk prefix outside North
// America (Spanish "912 345 678", Polish "12 345 67 89"), and seven-digit
// local numbers ("555-0100").
func findPhones(s string, cs []candidate) []candidate {
	var gs []numGroup
	for i := 0; i < len(s); {
		if !phoneStart(s, i) {
			if isDigit(s[i]) {
				for i < len(s) && isDigit(s[i]) {
					i++
				}
			} else {
				i++
			}
			continue
		}
		gs = phoneGroups(s, i, gs[:0])
		if len(gs) == 0 {
			i++
			continue
		}
		cs = phonesIn(s, gs, cs)
		i = gs[len(gs)-1].end
	}
	return cs
}

// phoneStart reports whether a phone number may begin at byte i.
func phoneStart(s string, i int) bool {
	switch c := s[i]; {
	case isDigit(c):
		return numberStartOK(s, i)
	case c == '+' || c == '(':
		next := i + 1
		if c == '+' && next < len(s) && s[next] == '(' {
			next++
		}
		if next >= len(s) || !isDigit(s[next]) {
			return false
		}
		r, n := runeBefore(s, i)
		return n == 0 || !isWordRune(r) && r != '+' && r != '#'
	}
	return false
}

// phoneGroups reads the groups of digits starting at byte i, joined by
// single separators: a space (or a no-break space), "-", ".", "/", or a
// parenthesis. It returns nothing when i does not start a group.
func phoneGroups(s string, i int, gs []numGroup) []numGroup {
	var sep byte
	for {
		g, ok := phoneGroup(s, i, sep)
		if !ok {
			return gs
		}
		gs = append(gs, g)
		// What joins this group to the next one?
		j := g.end
		switch {
		case j >= len(s):
			return gs
		case s[j] == ' ' || s[j] == '-' || s[j] == '.' || s[j] == '/':
			sep, j = s[j], j+1
			if sep != ' ' && j < len(s) && s[j] == ' ' {
				return gs // "020 - 7946" is two numbers, or a range
			}
		case strings.HasPrefix(s[j:], "\u00a0"), strings.HasPrefix(s[j:], "\u202f"):
			sep = ' '
			_, n := runeAt(s, j)
			j += n
		case s[j] == '(' || g.paren && isDigit(s[j]):
			sep = 0
		default:
			return gs
		}
		if j >= len(s) || !(isDigit(s[j]) || s[j] == '(' || sep == ' ' && s[j] == '+') {
			return gs
		}
		i = j
	}
}

// phoneGroup reads one group at byte i: digits, possibly written "(020)"
// or "+44".
func phoneGroup(s string, i int, sep byte) (numGroup, bool) {
	g := numGroup{start: i, sep: sep}
	if i < len(s) && s[i] == '+' {
		g.plus = true
		i++
	}
	if i < len(s) && s[i] == '(' {
		g.paren = true
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i {
		return g, false
	}
	g.d = s[i:j]
	if g.paren {
		if j >= len(s) || s[j] != ')' {
			return g, false
		}
		j++
	}
	g.end = j
	return g, true
}

// phonesIn finds the phone numbers among the groups of one run. A number
// starts at the start of the run or after a space, and ends at the end of
// the run or before a space; from each start the longest valid number wins.
func phonesIn(s string, gs []numGroup, cs []candidate) []candidate {
	for i := 0; i < len(gs); {
		if i > 0 && gs[i].sep != ' ' {
			i++
			continue
		}
		found := -1
		for j := min(len(gs), i+maxPhoneGroups) - 1; j >= i; j-- {
			if j+1 < len(gs) && gs[j+1].sep != ' ' {
				continue
			}
			if j+1 == len(gs) && !numberEndOK(s, gs[j].end) {
				continue
			}
			if phoneOK(gs[i:j+1]) && phoneFits(s, gs, i, j) {
				found = j
				break
			}
		}
		if found < 0 {
			i++
			continue
		}
		cs = append(cs, candidate{start: gs[i].start, end: gs[found].end, kind: KindPhone, rank: rankPhone})
		i = found + 1
	}
	return cs
}

// phoneFits reports whether the number gs[i..j] stands on its own in the
// text around it. A national number must not be one slice of a longer
// series of like groups ("Lottery numbers 05 12 33 40 41 42"), and no
// number may follow a label that says it is something else ("Part no.
// 0123-4567-89").
func phoneFits(s string, gs []numGroup, i, j int) bool {
	if national := !gs[i].plus && !strings.HasPrefix(gs[i].d, "00"); national {
		if j+1 < len(gs) && !gs[j+1].paren && len(gs[j+1].d) == len(gs[j].d) {
			return false
		}
		if i > 0 && len(gs[i-1].d) == len(gs[i].d) {
			return false
		}
	}
	w, k := wordBefore(s, gs[i].start)
	if numberWords[w] {
		w, _ = wordBefore(s, k)
	}
	return !notPhoneWords[w]
}

// notPhoneWords label numbers that are references, not phone numbers.
var notPhoneWords = map[string]bool{
	"order": true, "invoice": true, "inv": true, "ref": true, "reference": true,
	"ticket": true, "case": true, "serial": true, "sn": true, "sku": true,
	"part": true, "lot": true, "batch": true, "id": true, "account": true,
	"acct": true, "customer": true, "contract": true, "tracking": true,
	"parcel": true, "claim": true, "item": true, "article": true, "isbn": true,
	"ean": true, "imei": true, "iban": true, "artikel": true, "bestellung": true,
	"bestellnummer": true, "kundennummer": true, "rechnung": true,
	"rechnungsnummer": true, "auftrag": true, "commande": true, "facture": true,
	"référence": true, "pedido": true, "factura": true, "ordine": true,
	"fattura": true, "bestelling": true, "factuur": true,
}

// numberWords sit between a label and its number ("Order no.", "Tel. nr").
var numberWords = map[string]bool{
	"no": true, "nr": true, "n": true, "n°": true, "nº": true, "num": true,
	"number": true, "nummer": true, "numéro": true, "numero": true, "número": true,
}

func phoneOK(gs []numGroup) bool {
	n := 0
	for k, g := range gs {
		if k > 0 && g.plus { // "+" opens a number, never continues one
			return false
		}
		n += len(g.d)
	}
	if hasDate(gs) {
		return false
	}
	first := gs[0]
	switch {
	case first.plus:
		if n < 8 || n > 15 || first.d[0] == '0' || !spacesFirst(gs) {
			return false
		}
		return len(gs) > 1 || n >= 10
	case !first.paren && strings.HasPrefix(first.d, "00"):
		cc := first.d[2:]
		if cc == "" && len(gs) > 1 {
			cc = gs[1].d
		}
		return len(gs) > 1 && cc != "" && cc[0] != '0' && n >= 10 && n <= 17 && spacesFirst(gs)
	}
	return isNANP(gs) || isTrunk(gs, n)
}

// spacesFirst reports whether no space follows a dash, dot or slash in an
// international number. People space out the country and area codes and
// join the rest ("+1 415-555-0190", "+7 495 555-01-23"), so a space after
// a dash starts the next number: "+1 (415) 555-0190 0044 20 7946 0958" is
// two.
func spacesFirst(gs []numGroup) bool {
	joined := false
	for _, g := range gs[1:] {
		switch g.sep {
		case '-', '.', '/':
			joined = true
		case ' ':
			if joined {
				return false
			}
		}
	}
	return true
}

// isNANP accepts the North American layout: an optional "1", then 3-3-4
// digits where neither the area code nor the exchange starts with 0 or 1.
func isNANP(gs []numGroup) bool {
	if len(gs) == 4 && gs[0].d == "1" && !gs[0].paren && gs[1].sep != '/' {
		gs = gs[1:]
	}
	if len(gs) != 3 {
		return false
	}
	a, b, c := gs[0], gs[1], gs[2]
	if len(a.d) != 3 || len(b.d) != 3 || len(c.d) != 4 || a.d[0] < '2' || b.d[0] < '2' || b.paren || c.paren {
		return false
	}
	if a.paren {
		return b.sep == ' ' || b.sep == 0 || b.sep == '-'
	}
	switch b.sep {
	case '-', '.':
		return c.sep == b.sep
	case ' ':
		return c.sep == ' ' || c.sep == '-'
	}
	return false
}

// isTrunk accepts national numbers dialled with a leading 0, as in most of
// Europe: 9 to 12 digits, at least two groups, one kind of separator.
func isTrunk(gs []numGroup, n int) bool {
	if len(gs) < 2 || len(gs) > 6 || n < 9 || n > 12 {
		return false
	}
	a := gs[0]
	if len(a.d) < 2 || len(a.d) > 5 || a.d[0] != '0' || a.d[1] == '0' {
		return false
	}
	sep := gs[1].sep
	if a.paren && sep == 0 {
		sep = ' '
	}
	twos := len(a.d) == 2
	for k, g := range gs[1:] {
		// A long block ends the number: "089 1234567 14" is a number
		// followed by something else.
		if g.paren || len(g.d) < 2 || len(g.d) > 8 || len(g.d) >= 6 && k+2 < len(gs) {
			return false
		}
		twos = twos && len(g.d) == 2
	}
	if twos && len(gs) != 5 { // pairs of digits are French: 0X XX XX XX XX
		return false
	}
	// One separator throughout, except that the area code may stand
	// apart: "08-123 456 78", "030/1234 5678".
	rest := sep
	if len(gs) > 2 && (sep == '-' || sep == '/') && gs[2].sep == ' ' {
		rest = ' '
	}
	for _, g := range gs[2:] {
		if g.sep != rest {
			return false
		}
	}
	return sep != 0
}

// hasDate reports whether three consecutive groups read as a date:
// 2024-03-01, 01.02.2024, 03/01/2024, with one separator.
func hasDate(gs []numGroup) bool {
	for k := 0; k+2 < len(gs); k++ {
		a, b, c := gs[k].d, gs[k+1].d, gs[k+2].d
		if gs[k+1].sep != gs[k+2].sep || gs[k+1].sep == 0 {
			continue
		}
		switch {
		case isYear(a) && len(b) <= 2 && len(c) <= 2:
			if inRange(b, 1, 12) && inRange(c, 1, 31) {
				return true
			}
		case len(a) <= 2 && len(b) <= 2 && isYear(c):
			if inRange(a, 1, 31) && inRange(b, 1, 12) || inRange(a, 1, 12) && inRange(b, 1, 31) {
				return true
			}
		}
	}
	return false
}

func isYear(d string) bool { return len(d) == 4 && (d[:2] == "19" || d[:2] == "20") }

func inRange(d string, lo, hi int) bool {
	v := 0
	for k := range len(d) {
		v = v*10 + int(d[k]-'0')
	}
	return lo <= v && v <= hi
}
