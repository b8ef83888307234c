// Command bench measures Lethe against what each database does on its own
// (issue 7): it builds its data in a fresh schema or database, runs each
// case side by side with its baseline on an identical copy in the same
// run, checks Lethe's result, and prints one table (or JSON).
//
//	go run ./bench [--rows N] [--quick] [--json] [--dialects sqlite,postgres,mysql]
//	               [--cases purge,anonymize,ptarchiver,erasure,export] [--repeat N]
//
// Servers come from LETHE_TEST_POSTGRES and LETHE_TEST_MYSQL (or --postgres
// and --mysql); a dialect without a URL is skipped with a message. Lethe's
// side of each case runs in a child process (this program re-executed), so
// the peak RSS reported is Lethe's alone, read from getrusage when the
// child exits.
//
// The exit status is 1 when Lethe's result is wrong (rows left, values
// written, ledger counts), 2 on a usage or setup error; never because of
// speed.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"modernc.org/sqlite"
)

// Row is one line of the table: one side of one case on one dialect.
type Row struct {
	Case     string   `json:"case"`
	Dialect  string   `json:"dialect"`
	Side     string   `json:"side"` // "lethe" or the baseline's name
	Rows     int64    `json:"rows"`
	Seconds  float64  `json:"seconds"`
	RowsPerS float64  `json:"rows_per_s"`
	Ratio    *float64 `json:"ratio_to_baseline,omitempty"`
	// With --repeat: how many runs the line stands for, and the lowest
	// and highest of their ratios (see medianRun).
	Runs      int      `json:"runs,omitempty"`
	RatioMin  *float64 `json:"ratio_min,omitempty"`
	RatioMax  *float64 `json:"ratio_max,omitempty"`
	LongestTx *float64 `json:"longest_tx_ms,omitempty"`
	PeakRSS   *float64 `json:"peak_rss_mb,omitempty"`
	P50       *float64 `json:"p50_ms,omitempty"`
	P95       *float64 `json:"p95_ms,omitempty"`
	P99       *float64 `json:"p99_ms,omitempty"`
	Note      string   `json:"note,omitempty"`
}

// Report is the whole run, as --json prints it.
type Report struct {
	Scale    int64    `json:"rows"`
	Rows     []Row    `json:"results"`
	Skipped  []string `json:"skipped,omitempty"`
	Failures []string `json:"failures,omitempty"`
}

type config struct {
	rows     int64 // the purge table's rows; the other cases scale from it
	quick    bool
	json     bool
	dialects []string
	cases    []string
	urls     map[string]string
	batch    int
	walkers  int // batches of a walk at once (0: the engine's default)
	samples  int // erasure: subjects erased
	repeat   int // runs of each case, each on fresh data (see medianRun)
	log      io.Writer
}

var allCases = []string{"purge", "anonymize", "ptarchiver", "erasure", "export"}

// baselineDefaults registers the baselines' SQLite settings once.
var baselineDefaults sync.Once

func main() {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, cfg)
	if rep != nil {
		if cfg.json {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		} else {
			printTable(os.Stdout, rep)
		}
	}
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	case len(rep.Failures) > 0:
		fmt.Fprintln(os.Stderr, "bench: Lethe's result is WRONG:")
		for _, f := range rep.Failures {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	rows := fs.Int64("rows", 2_000_000, "rows of the purge table; the other cases scale from it (anonymize: rows/2 subjects and 3*rows/2 owned rows; erasure: 5*rows in all; export: rows/20 owned rows)")
	quick := fs.Bool("quick", false, "a quick run: --rows 100000 and 200 erasures, for CI")
	js := fs.Bool("json", false, "print JSON instead of a table")
	dialects := fs.String("dialects", "sqlite,postgres,mysql", "dialects to run")
	cases := fs.String("cases", strings.Join(allCases, ","), "cases to run")
	pg := fs.String("postgres", os.Getenv("LETHE_TEST_POSTGRES"), "PostgreSQL server URL (default $LETHE_TEST_POSTGRES)")
	my := fs.String("mysql", os.Getenv("LETHE_TEST_MYSQL"), "MariaDB/MySQL server URL (default $LETHE_TEST_MYSQL)")
	batch := fs.Int("batch", 0, "rows per batch transaction (0: the engine's default)")
	walkers := fs.Int("walkers", 0, "batches of a walked table at once (0: the engine's default)")
	samples := fs.Int("erasures", 1000, "erasure case: subjects to erase")
	repeat := fs.Int("repeat", 1, "runs of each case, each on fresh data; the table shows the run with the median ratio and the range of the ratios")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	cfg := &config{rows: *rows, quick: *quick, json: *js, batch: *batch, walkers: *walkers, samples: *samples, repeat: *repeat, log: os.Stderr,
		urls: map[string]string{"postgres": *pg, "mysql": *my}}
	if *quiet {
		cfg.log = io.Discard
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.quick {
		if !set["rows"] {
			cfg.rows = 100_000
		}
		if !set["erasures"] {
			cfg.samples = 200
		}
	}
	if cfg.rows < 100 {
		return nil, fmt.Errorf("--rows %d: give at least 100", cfg.rows)
	}
	if cfg.repeat < 1 {
		return nil, fmt.Errorf("--repeat %d: give at least 1", cfg.repeat)
	}
	for _, d := range strings.Split(*dialects, ",") {
		d = strings.TrimSpace(d)
		switch d {
		case "sqlite", "postgres", "mysql":
			cfg.dialects = append(cfg.dialects, d)
		case "":
		default:
			return nil, fmt.Errorf("--dialects: unknown dialect %q: write sqlite, postgres or mysql", d)
		}
	}
	for _, c := range strings.Split(*cases, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		known := false
		for _, k := range allCases {
			known = known || k == c
		}
		if !known {
			return nil, fmt.Errorf("--cases: unknown case %q: cases are %s", c, strings.Join(allCases, ", "))
		}
		cfg.cases = append(cfg.cases, c)
	}
	return cfg, nil
}

// benchCase runs one case on one dialect in a fresh scratch database and
// returns its rows; problems are Lethe's wrong results.
type benchCase func(ctx context.Context, cfg *config, s *scratch) (rows []Row, problems []string, err error)

var cases = map[string]benchCase{
	"purge":      purgeCase,
	"anonymize":  anonymizeCase,
	"ptarchiver": ptArchiverCase,
	"erasure":    erasureCase,
	"export":     exportCase,
}

// errSkip says a case does not apply; its message says why.
type errSkip struct{ why string }

func (e errSkip) Error() string { return e.why }

func run(ctx context.Context, cfg *config) (*Report, error) {
	baselineDefaults.Do(func() {
		// The baselines run on SQLite's own page cache, as an
		// application's statements or the sqlite3 shell would, not on the
		// larger one Lethe gives its connections (sqlite.OpenFile); Lethe
		// runs in the child process, which this hook does not reach.
		sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
			_, err := c.ExecContext(context.Background(), "PRAGMA cache_size = -2000", nil)
			return err
		})
	})
	rep := &Report{Scale: cfg.rows}
	for _, dn := range cfg.dialects {
		if dn != "sqlite" && cfg.urls[dn] == "" {
			env := map[string]string{"postgres": "LETHE_TEST_POSTGRES", "mysql": "LETHE_TEST_MYSQL"}[dn]
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: set %s (or --%s) to run it", dn, env, dn))
			continue
		}
		for _, cn := range cfg.cases {
			runs, problems, err := repeatCase(ctx, cfg, dn, cn)
			var skip errSkip
			if errors.As(err, &skip) {
				rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s on %s: %s", cn, dn, skip.why))
				continue
			}
			if err != nil {
				return rep, fmt.Errorf("%s on %s: %w", cn, dn, err)
			}
			rep.Rows = append(rep.Rows, medianRun(runs)...)
			for _, p := range problems {
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s on %s: %s", cn, dn, p))
			}
		}
	}
	return rep, nil
}

// repeatCase runs case cn on dialect dn cfg.repeat times, each run in a
// fresh scratch database with data of its own, and returns the rows of
// each run and the problems of all.
func repeatCase(ctx context.Context, cfg *config, dn, cn string) ([][]Row, []string, error) {
	var runs [][]Row
	var problems []string
	for i := range cfg.repeat {
		if cfg.repeat > 1 {
			fmt.Fprintf(cfg.log, "bench: %s on %s, run %d of %d ...\n", cn, dn, i+1, cfg.repeat)
		} else {
			fmt.Fprintf(cfg.log, "bench: %s on %s ...\n", cn, dn)
		}
		s, err := newScratch(ctx, dn, cfg.urls[dn])
		if err != nil {
			return nil, nil, fmt.Errorf("fresh database: %w", err)
		}
		s.settlePages = !cfg.quick
		rows, wrong, err := cases[cn](ctx, cfg, s)
		if cerr := s.close(); cerr != nil && err == nil {
			err = fmt.Errorf("drop %s: %w", s.name, cerr)
		}
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, rows)
		for _, p := range wrong {
			if cfg.repeat > 1 {
				p = fmt.Sprintf("run %d: %s", i+1, p)
			}
			problems = append(problems, p)
		}
	}
	return runs, problems, nil
}

// medianRun picks, of the runs of one case, the run whose Lethe ratio to
// its baseline is the median (the lower of the two middle ones for an
// even count; a case without a baseline by Lethe's p95 latency, else its
// seconds), so that each printed line is one run's own figures, its two
// sides measured back to back. This machine's timings vary by a third
// from one run to the next (the raw DELETE on PostgreSQL took 1.40 to
// 2.91 s for the same rows), so one run can land on either side of a
// target. Lethe's line also gets the range of the runs' ratios, and the
// longest transaction and peak RSS of any run: those are bounds every
// run must keep.
func medianRun(runs [][]Row) []Row {
	if len(runs) == 1 {
		return runs[0]
	}
	lethe := func(rows []Row) *Row {
		for i := range rows {
			if rows[i].Side == "lethe" {
				return &rows[i]
			}
		}
		return nil
	}
	key := func(rows []Row) float64 {
		switch l := lethe(rows); {
		case l == nil:
			return 0
		case l.Ratio != nil:
			return *l.Ratio
		case l.P95 != nil:
			return *l.P95
		default:
			return l.Seconds
		}
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b []Row) int { return cmp.Compare(key(a), key(b)) })
	out := slices.Clone(sorted[(len(sorted)-1)/2])
	l := lethe(out)
	if l == nil {
		return out
	}
	l.Runs = len(runs)
	for _, run := range runs {
		r := lethe(run)
		if r == nil {
			continue
		}
		if r.LongestTx != nil && (l.LongestTx == nil || *r.LongestTx > *l.LongestTx) {
			l.LongestTx = r.LongestTx
		}
		if r.PeakRSS != nil && (l.PeakRSS == nil || *r.PeakRSS > *l.PeakRSS) {
			l.PeakRSS = r.PeakRSS
		}
		if r.Ratio == nil {
			continue
		}
		if l.RatioMin == nil || *r.Ratio < *l.RatioMin {
			l.RatioMin = r.Ratio
		}
		if l.RatioMax == nil || *r.Ratio > *l.RatioMax {
			l.RatioMax = r.Ratio
		}
	}
	return out
}

func printTable(w io.Writer, rep *Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tdialect\tside\trows\tseconds\trows/s\tratio\tratio range\tlongest tx ms\tpeak RSS MB\tp50 ms\tp95 ms\tp99 ms\t")
	opt := func(v *float64, prec int) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprintf("%.*f", prec, *v)
	}
	for _, r := range rep.Rows {
		spread := "-"
		if r.RatioMin != nil && r.RatioMax != nil {
			spread = fmt.Sprintf("%.2f-%.2f (%d runs)", *r.RatioMin, *r.RatioMax, r.Runs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.2f\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Case, r.Dialect, r.Side, r.Rows, r.Seconds, r.RowsPerS,
			opt(r.Ratio, 2), spread, opt(r.LongestTx, 0), opt(r.PeakRSS, 0), opt(r.P50, 1), opt(r.P95, 1), opt(r.P99, 1))
	}
	tw.Flush()
	for _, r := range rep.Rows {
		if r.Note != "" {
			fmt.Fprintf(w, "note: %s/%s/%s: %s\n", r.Case, r.Dialect, r.Side, r.Note)
		}
	}
	for _, s := range rep.Skipped {
		fmt.Fprintln(w, "skipped:", s)
	}
	if len(rep.Failures) == 0 {
		fmt.Fprintf(w, "correctness: every check passed (scale --rows %d)\n", rep.Scale)
	}
}

func ptr(v float64) *float64 { return &v }

// sides builds the two rows of a case: Lethe's, with its ratio to the
// baseline's rows/s, and the baseline's.
func sides(cs, dn string, lethe *outcome, base Row) []Row {
	l := Row{Case: cs, Dialect: dn, Side: "lethe", Rows: lethe.Rows, Seconds: lethe.Seconds, PeakRSS: ptr(lethe.MaxRSSMB)}
	if lethe.Seconds > 0 {
		l.RowsPerS = float64(lethe.Rows) / lethe.Seconds
	}
	if lethe.LongestTx >= 0 {
		l.LongestTx = ptr(lethe.LongestTx)
	}
	if lethe.Batches > 0 {
		l.Note = fmt.Sprintf("%d batch transactions, %.2f s inside them (summed where walkers overlap); the rest is planning (counts per tenant, the guard) and ledger entries", lethe.Batches, lethe.InBatches)
	}
	l.Note = withNote(l.Note, lethe.IO)
	base.Case, base.Dialect = cs, dn
	if base.Seconds > 0 {
		base.RowsPerS = float64(base.Rows) / base.Seconds
	}
	if base.RowsPerS > 0 {
		l.Ratio = ptr(l.RowsPerS / base.RowsPerS)
	}
	return []Row{l, base}
}

// timed runs fn and returns its duration.
func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}
