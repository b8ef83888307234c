package redact

import (
	"fmt"
	"strings"
	"testing"
)

// benchText is about 4 KB of support-ticket prose: mostly ordinary text
// and look-alike numbers, with some personal data of every kind.
func benchText() string {
	const ticket = `Hi team, I'm writing about order ORD-2024-000988 placed on 2024-03-01. ` +
		`My card 4111 1111 1111 1111 was charged twice (2x 49.99 EUR, invoice INV-2024-0042). ` +
		`Please refund to GB82 WEST 1234 5698 7654 32 or call me on +44 20 7946 0958 after 17:30. ` +
		`My email is zoe.okafor@example.com; Ms Okafor is me. The app (v10.4.12, build 20240228.3) ` +
		`crashed twice, last seen from 192.0.2.44 and 2001:db8::1. Tracking 1Z999AA10123456784, ` +
		`parcel 2.5 kg, postcode SW1A 1AA. Thanks, Zoë.` + "\n"
	const filler = `The quick brown fox jumps over the lazy dog while the agent reviews case 2024-00871, ` +
		`priority 2, at 10:30 on 01.02.2024; totals 1,234.56 USD and 1.234,56 EUR match the ledger. ` + "\n"
	var b strings.Builder
	for b.Len() < 4096 {
		b.WriteString(ticket)
		b.WriteString(filler)
		b.WriteString(filler)
	}
	return b.String()[:4096]
}

func BenchmarkRedact(b *testing.B) {
	r := New()
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		r.Redact(text, "Zoë", "Okafor")
	}
}

// BenchmarkRedactRepetitive runs adversarial repetitive inputs at 8 KB and
// 256 KB: MB/s should stay flat as the input grows (time linear in size).
// It is a benchmark, not a test, because timing is no pass/fail criterion.
func BenchmarkRedactRepetitive(b *testing.B) {
	r := New()
	for _, unit := range []string{"1 ", "1-", "1.", "a@", "a.", ":", "00 ", "+1", "(1) ", "AB12 ", "@a.b", "zo", "[phone]", "4111 "} {
		for _, size := range []int{8000, 256000} {
			s := strings.Repeat(unit, size/len(unit))
			b.Run(fmt.Sprintf("%q/%dKB", unit, size/1000), func(b *testing.B) {
				b.SetBytes(int64(len(s)))
				for range b.N {
					r.Redact(s, "zozo")
				}
			})
		}
	}
}
