package redact

// numGroup is one run of digits in a grouped number such as
// "4111 1111 1111 1111" or "+44 (0)20 7946 0958".
type numGroup struct {
	start, end int    // bytes, including a leading "+" and any parentheses
	d          string // the digits
	sep        byte   // separator before the group: ' ', '-', '.', '/', or 0 (none, or a parenthesis)
	plus       bool   // written "+123"
	paren      bool   // written "(123)"
}

// findCards finds payment card numbers: 13 to 19 digits, written in one
// block or in the groups printed on cards (fours, or 4-6-5 and 4-6-4 for
// American Express and Diners), passing the Luhn check, and starting with
// 2 to 6 as the major networks' numbers do. Text of that shape that fails
// the check is returned as a shield: it is a mistyped card or a reference
// number, and its digits are not a phone number either.
func findCards(s string, cs []candidate) []candidate {
	var gs []numGroup
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		if !numberStartOK(s, i) {
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			continue
		}
		gs = cardGroups(s, i, gs[:0])
		// A card may also follow other numbers after a space
		// ("+44 20 7946 0958 4111111111111111").
		for k := 0; k < len(gs); {
			if k > 0 && gs[k].sep != ' ' {
				break // dash-joined groups are one number
			}
			if c, next, ok := cardAt(s, gs, k); ok {
				cs = append(cs, c)
				k = next
				continue
			}
			k++
		}
		i = gs[len(gs)-1].end
	}
	return cs
}

// cardAt returns the card number, or the card-shaped shield, that starts
// at group k of the run gs, and the group after it.
func cardAt(s string, gs []numGroup, k int) (c candidate, next int, ok bool) {
	// Only the groups that fit in 19 digits can be part of the card.
	m, n := k, 0
	for m < len(gs) && n+len(gs[m].d) <= 19 {
		n += len(gs[m].d)
		m++
	}
	if m == k {
		return c, 0, false
	}
	// Inside a run, grouped fours after a four are the tail of a longer
	// number, not a card.
	if k > 0 && len(gs[k-1].d) == 4 && m-k > 1 {
		return c, 0, false
	}
	c = candidate{start: gs[k].start, rank: rankCard}
	whole := m == len(gs) && numberEndOK(s, gs[m-1].end) && cardShaped(gs[k:m])
	if whole && isCard(s, gs[k:m]) {
		c.end, c.kind = gs[m-1].end, KindCard
		return c, m, true
	}
	// A card followed by its expiry date or security code:
	// "4111 1111 1111 1111 12/27", "4111 1111 1111 1111 123".
	for e := min(m, len(gs)-1); e > k; e-- {
		if gs[e].sep == ' ' && len(gs[e].d) < 4 && cardShaped(gs[k:e]) && isCard(s, gs[k:e]) {
			c.end, c.kind = gs[e-1].end, KindCard
			return c, e, true
		}
	}
	if whole {
		c.end = gs[m-1].end
		return c, m, true
	}
	return c, 0, false
}

// isCard reports whether card-shaped groups hold a card number: one that
// starts as the major networks' numbers do and passes the Luhn check.
func isCard(s string, gs []numGroup) bool {
	digits := joinDigits(gs)
	return '2' <= digits[0] && digits[0] <= '6' && luhnOK(digits) && !isIMEI(s, gs[0].start)
}

// cardGroups reads digit groups separated by single spaces or single
// dashes (one kind throughout) from byte i, which holds a digit.
func cardGroups(s string, i int, gs []numGroup) []numGroup {
	var sep byte
	for {
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		gs = append(gs, numGroup{start: i, end: j, d: s[i:j], sep: sep})
		if j+1 >= len(s) || !isDigit(s[j+1]) || (s[j] != ' ' && s[j] != '-') || (sep != 0 && s[j] != sep) {
			return gs
		}
		sep = s[j]
		i = j + 1
	}
}

// cardShaped reports whether groups are laid out as card numbers are.
func cardShaped(gs []numGroup) bool {
	n := 0
	for _, g := range gs {
		n += len(g.d)
	}
	if n < 13 || n > 19 {
		return false
	}
	if len(gs) == 1 {
		return true
	}
	if len(gs) == 3 && len(gs[0].d) == 4 && len(gs[1].d) == 6 && (len(gs[2].d) == 5 || len(gs[2].d) == 4) {
		return true
	}
	for _, g := range gs[:len(gs)-1] {
		if len(g.d) != 4 {
			return false
		}
	}
	return true
}

func joinDigits(gs []numGroup) string {
	if len(gs) == 1 {
		return gs[0].d
	}
	b := make([]byte, 0, 24)
	for _, g := range gs {
		b = append(b, g.d...)
	}
	return string(b)
}

// luhnOK applies the Luhn check: doubling every second digit from the
// right, the digit sum must be a multiple of 10. It catches every single
// mistyped digit and most swapped pairs, which is why card numbers carry it.
func luhnOK(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if !isDigit(c) {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// isIMEI reports whether the number at byte i is labelled as a phone's
// IMEI, which is 15 digits with a Luhn check digit, just like a card.
func isIMEI(s string, i int) bool {
	w, _ := wordBefore(s, i)
	return w == "imei"
}
