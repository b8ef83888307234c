package redact

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestLuhn(t *testing.T) {
	tests := []struct {
		digits string
		want   bool
	}{
		{"4111111111111111", true},
		{"4111111111111112", false},
		{"5555555555554444", true},
		{"5555555555554443", false},
		{"378282246310005", true},
		{"30569309025904", true},
		{"4222222222222", true},
		{"79927398713", true}, // the textbook example
		{"79927398710", false},
		{"0", true},
		{"", false},
		{"4111x11111111111", false},
	}
	for _, tt := range tests {
		if got := luhnOK(tt.digits); got != tt.want {
			t.Errorf("luhnOK(%q) = %v, want %v", tt.digits, got, tt.want)
		}
	}
}

func TestIBANChecksum(t *testing.T) {
	tests := []struct {
		iban string
		want bool
	}{
		{"GB82WEST12345698765432", true},
		{"GB82WEST12345698765433", false}, // last digit changed
		{"GB28WEST12345698765432", false}, // check digits swapped
		{"DE89370400440532013000", true},
		{"FR1420041010050500013M02606", true},
		{"NO9386011117947", true},
		{"MT84MALT011000012345MTLCAST001S", true},
		{"LC55HEMM000100010012001200023015", true},
		{"GB00WEST12345698765432", false}, // 00 is never a check number
		{"GB82west12345698765432", false}, // callers upper-case first
		{"GB8", false},
		{"GBXXWEST12345698765432", false},
	}
	for _, tt := range tests {
		if got := ibanChecksumOK([]byte(tt.iban)); got != tt.want {
			t.Errorf("ibanChecksumOK(%q) = %v, want %v", tt.iban, got, tt.want)
		}
	}
}

func TestIBANLengths(t *testing.T) {
	r := New(KindIBAN)
	tests := []struct{ in, want string }{
		// Right check digits, wrong length: a German IBAN has 22 characters.
		{"DE5137040044053201300", "DE5137040044053201300"},
		{"DE543704004405320130001", "DE543704004405320130001"},
		{"DE89370400440532013000", "[iban]"},
		// 15 characters is right for Norway.
		{"NO93 8601 1117 947 is short but Norwegian", "[iban] is short but Norwegian"},
		// A country outside the registry: any length, capitals only.
		{"ZZ1812345678901234", "[iban]"},
		{"zz1812345678901234", "zz1812345678901234"},
		{"ZZ1912345678901234", "ZZ1912345678901234"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range AllKinds() {
		got, err := ParseKind(" " + strings.ToUpper(string(k)) + " ")
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := ParseKind("name"); err == nil || !strings.Contains(err.Error(), "subject_name") {
		t.Errorf("ParseKind(name): err = %v, want one listing the kinds", err)
	}
}

func TestNewPanicsOnUnknownKind(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(bogus) did not panic")
		}
	}()
	New("bogus")
}

func TestAllKindsIsACopy(t *testing.T) {
	AllKinds()[0] = "changed"
	if AllKinds()[0] != KindEmail {
		t.Error("AllKinds shares its slice")
	}
}

// TestRedact covers the cases that decide between two readings of the
// same characters.
func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
		names          []string
	}{
		{"email with digits is one email", "mail 4155550123@example.com now", "mail [email] now", nil},
		{"email around a name", "zoe.okafor@example.com", "[email]", []string{"Okafor"}},
		{"iban digits are not a phone", "DE89 3704 0044 0532 0130 00", "[iban]", nil},
		{"failed iban shields its digits", "DE89 3704 0044 0532 0130 01", "DE89 3704 0044 0532 0130 01", nil},
		{"card is not a phone", "4111 1111 1111 1111", "[card]", nil},
		{"card failing luhn", "4111 1111 1111 1112", "4111 1111 1111 1112", nil},
		{"card with expiry", "4111 1111 1111 1111 12/27", "[card] 12/27", nil},
		{"card number glued to a word", "ref4111111111111111", "ref4111111111111111", nil},
		{"imei passes luhn but is not a card", "IMEI: 490154203237518", "IMEI: 490154203237518", nil},
		{"ipv4-mapped ipv6 is one ip", "from ::ffff:192.0.2.128.", "from [ip].", nil},
		{"ip with port", "192.0.2.1:8080", "[ip]:8080", nil},
		{"dotted version is not an ip", "1.2.3.4.5", "1.2.3.4.5", nil},
		{"version word", "version 1.2.3.4", "version 1.2.3.4", nil},
		{"leading zero octet", "192.168.01.1", "192.168.01.1", nil},
		{"octet over 255", "256.1.1.1", "256.1.1.1", nil},
		{"ipv6 zone is left", "fe80::1%eth0", "[ip]%eth0", nil},
		{"C++ scope", "std::vector a::b", "std::vector a::b", nil},
		{"date is not a phone", "2024-03-01 10:30", "2024-03-01 10:30", nil},
		{"date with dots", "01.02.2024", "01.02.2024", nil},
		{"order number", "ORD-2024-000123 and #123456", "ORD-2024-000123 and #123456", nil},
		{"version string", "v10.4.12 and 1.2.3", "v10.4.12 and 1.2.3", nil},
		{"amount", "$1,234.56 and 1.234,56 €", "$1,234.56 and 1.234,56 €", nil},
		{"two numbers in a row", "+1 (415) 555-2671 0044 20 7946 0958", "[phone] [phone]", nil},
		{"number then digits", "call 089 1234567 14 Uhr", "call [phone] 14 Uhr", nil},
		{"label before number", "Part no. 0123-4567-89", "Part no. 0123-4567-89", nil},
		{"phone label before no.", "Phone no. 020 7946 0958", "Phone no. [phone]", nil},
		{"lottery numbers", "05 12 33 40 41 42", "05 12 33 40 41 42", nil},
		{"french pairs", "06 12 34 56 78", "[phone]", nil},
		{"name is case and accent blind", "ZOE, zoë, Zoe\u0308!", "[name], [name], [name]!", []string{"Zoë"}},
		{"name on word boundaries", "Zoey Zoë's", "Zoey [name]'s", []string{"Zoë"}},
		{"short names ignored", "X marks the spot", "X marks the spot", []string{"X", " ", ""}},
		{"typographic apostrophe", "O’Brien", "[name]", []string{"O'Brien"}},
		{"name equal to a label", "[phone] Phone", "[phone] [name]", []string{"phone"}},
		{"overlapping names", "Jean-Luc", "[name]", []string{"Jean", "Jean-Luc"}},
		{"invalid utf-8", "\xff4111 1111 1111 1111\xfe", "\xff[card]\xfe", nil},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Redact(tt.in, tt.names...); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDisabledKindsStillShield(t *testing.T) {
	r := New(KindPhone)
	in := "IBAN DE89 3704 0044 0532 0130 00, mail 0044207946@example.com, call +44 20 7946 0958"
	want := "IBAN DE89 3704 0044 0532 0130 00, mail 0044207946@example.com, call [phone]"
	if got := r.Redact(in); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := New(KindEmail).Redact("Zoë", "Zoë"); got != "Zoë" {
		t.Errorf("names redacted with subject_name off: %q", got)
	}
}

func TestFindOrderedAndDisjoint(t *testing.T) {
	in := "a@example.com +44 20 7946 0958 4111111111111111 GB82WEST12345698765432 192.0.2.1 Zoë"
	ms := New().Find(in, "Zoë")
	kinds := []Kind{KindEmail, KindPhone, KindCard, KindIBAN, KindIP, KindSubjectName}
	if len(ms) != len(kinds) {
		t.Fatalf("Find = %v", ms)
	}
	for i, m := range ms {
		if m.Kind != kinds[i] || (i > 0 && m.Start < ms[i-1].End) {
			t.Errorf("match %d = %+v", i, m)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	r := New()
	text := benchText()
	want := r.Redact(text, "Okafor")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := r.Redact(text, "Okafor"); got != want {
					t.Error("concurrent Redact differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestLinear guards against quadratic scanning on hostile input: the
// time per byte must not grow much with the input.
func ExampleRedactor_Redact() {
	r := New()
	fmt.Println(r.Redact("Zoë (zoe@example.com, +44 20 7946 0958) paid with 4111 1111 1111 1111, order ORD-2024-000123.", "Zoë", "Okafor"))
	// Output: [name] ([email], [phone]) paid with [card], order ORD-2024-000123.
}
