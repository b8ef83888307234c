package redact

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

// corpusLine is one line of testdata/corpus.txt with its marks removed.
type corpusLine struct {
	lineNo int
	text   string
	names  []string
	want   []Match
}

// labelKinds maps the words used in the corpus marks (the labels the
// redactor writes) to kinds.
var labelKinds = map[string]Kind{
	"email": KindEmail, "phone": KindPhone, "card": KindCard,
	"iban": KindIBAN, "ip": KindIP, "name": KindSubjectName,
}

func readCorpus(t testing.TB) []corpusLine {
	t.Helper()
	f, err := os.Open("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []corpusLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		if raw == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		cl, err := parseCorpusLine(raw)
		if err != nil {
			t.Fatalf("testdata/corpus.txt:%d: %v", n, err)
		}
		cl.lineNo = n
		lines = append(lines, cl)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// parseCorpusLine turns "names=A,B|text with {kind:value} marks" into the
// plain text, the names and the expected matches.
func parseCorpusLine(raw string) (corpusLine, error) {
	var cl corpusLine
	if rest, ok := strings.CutPrefix(raw, "names="); ok {
		names, text, found := strings.Cut(rest, "|")
		if !found {
			return cl, fmt.Errorf("names= without |")
		}
		cl.names = strings.Split(names, ",")
		raw = text
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(raw, '{')
		if open < 0 {
			if strings.IndexByte(raw, '}') >= 0 {
				return cl, fmt.Errorf("unbalanced }")
			}
			b.WriteString(raw)
			break
		}
		b.WriteString(raw[:open])
		mark, rest, ok := strings.Cut(raw[open+1:], "}")
		if !ok {
			return cl, fmt.Errorf("unclosed {")
		}
		label, value, ok := strings.Cut(mark, ":")
		kind, known := labelKinds[label]
		if !ok || !known || value == "" {
			return cl, fmt.Errorf("bad mark {%s}", mark)
		}
		start := b.Len()
		b.WriteString(value)
		cl.want = append(cl.want, Match{Kind: kind, Start: start, End: b.Len()})
		raw = rest
	}
	cl.text = b.String()
	return cl, nil
}

func TestParseCorpusLine(t *testing.T) {
	cl, err := parseCorpusLine("names=Zoë,Okafor|Hi {name:Zoë}, mail {email:z@example.com}.")
	if err != nil {
		t.Fatal(err)
	}
	if cl.text != "Hi Zoë, mail z@example.com." {
		t.Errorf("text = %q", cl.text)
	}
	want := []Match{{KindSubjectName, 3, 7}, {KindEmail, 14, 27}}
	if fmt.Sprint(cl.want) != fmt.Sprint(want) || fmt.Sprint(cl.names) != "[Zoë Okafor]" {
		t.Errorf("got %v %v", cl.want, cl.names)
	}
	for _, bad := range []string{"a {email:x", "a }", "{bogus:x}", "{email:}", "names=a"} {
		if _, err := parseCorpusLine(bad); err == nil {
			t.Errorf("parseCorpusLine(%q): no error", bad)
		}
	}
}

// TestCorpus measures span-exact precision and recall of every recogniser
// over the labelled corpus, and fails below 0.95.
func TestCorpus(t *testing.T) {
	const floor = 0.95
	lines := readCorpus(t)
	if len(lines) < 300 {
		t.Errorf("corpus has %d lines, want at least 300", len(lines))
	}
	type score struct{ tp, fp, fn int }
	scores := map[Kind]*score{}
	for _, k := range allKinds {
		scores[k] = &score{}
	}
	r := New()
	for _, cl := range lines {
		got := r.Find(cl.text, cl.names...)
		want := map[Match]bool{}
		for _, m := range cl.want {
			want[m] = true
		}
		for _, m := range got {
			if want[m] {
				scores[m.Kind].tp++
				delete(want, m)
				continue
			}
			scores[m.Kind].fp++
			t.Logf("line %d: unexpected %s %q", cl.lineNo, m.Kind, cl.text[m.Start:m.End])
		}
		for _, m := range cl.want {
			if want[m] {
				scores[m.Kind].fn++
				t.Logf("line %d: missed %s %q", cl.lineNo, m.Kind, cl.text[m.Start:m.End])
			}
		}
	}
	t.Logf("corpus: %d lines", len(lines))
	for _, k := range allKinds {
		s := scores[k]
		precision := ratio(s.tp, s.tp+s.fp)
		recall := ratio(s.tp, s.tp+s.fn)
		t.Logf("%-12s precision %.3f recall %.3f (tp %d, fp %d, fn %d)", k, precision, recall, s.tp, s.fp, s.fn)
		if s.tp+s.fn == 0 {
			t.Errorf("%s: the corpus has no examples", k)
		}
		if precision < floor || recall < floor {
			t.Errorf("%s: precision %.3f, recall %.3f, want both >= %.2f", k, precision, recall, floor)
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestCorpusIdempotent: on realistic text a second pass finds nothing new.
func TestCorpusIdempotent(t *testing.T) {
	r := New()
	for _, cl := range readCorpus(t) {
		once := r.Redact(cl.text, cl.names...)
		if twice := r.Redact(once, cl.names...); twice != once {
			t.Errorf("line %d: second pass changed\n %q\nto\n %q", cl.lineNo, once, twice)
		}
	}
}
