package requests

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"lethe/connect"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/ledger"
)

// Environment of the child process TestCrashChild runs in.
const (
	crashURL   = "LETHE_REQUESTS_CRASH_URL"
	crashPoint = "LETHE_REQUESTS_CRASH_POINT" // "start", or "before:N" / "after:N" (the N-th commit of the work)
	crashCode  = 3
	missedCode = 4 // the fulfilment ended without reaching the point
)

// bulk is how many sessions user 6 gets on top of the fixture's: more
// than one erasure transaction holds (engine.eraseTxRows, 20000), so the
// engine erases in batches, each committed with its ledger count, and a
// crash can fall between them.
const bulk = 20005

// TestCrashChild is not a test of its own: TestCrashResume runs it in a
// child process, which fulfils request 1 and exits abruptly at a chosen
// point: os.Exit runs no deferred call and rolls nothing back, as if the
// process were killed.
func TestCrashChild(t *testing.T) {
	u := os.Getenv(crashURL)
	if u == "" {
		t.Skip("runs only as TestCrashResume's child process")
	}
	point := os.Getenv(crashPoint)
	var d dialect.Dialect
	var hook *commitHook
	var err error
	if point == "start" {
		d, err = connect.Open(ctx, u)
	} else {
		when, n, _ := strings.Cut(point, ":")
		hook = &commitHook{when: when}
		hook.n, _ = strconv.Atoi(n)
		d, err = hookedDialect(u, hook)
	}
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEngine(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(e)
	s.beforeWork = func() {
		if hook == nil {
			os.Exit(crashCode) // accepted, committed, not a row touched
		}
		hook.armed = true
	}
	if _, err := s.Fulfil(ctx, 1, "op_1", runAt, nil); err != nil {
		t.Fatal(err)
	}
	os.Exit(missedCode)
}

// TestCrashResume kills a fulfilment once the erasure is accepted and at
// points inside the engine's erasure, resumes, and checks the database
// and the ledger's totals per dataset equal an uninterrupted run's.
func TestCrashResume(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		clean := newFixture(t, h)
		clean.bulkSessions(bulk)
		r := clean.openVerified(Erasure, "user:6", runAt)
		done, err := clean.s.Fulfil(ctx, r.ID, "op_1", runAt, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := erasureResult(t, done)
		if got, want := datasets(res.Datasets), []string{"transactions delete 1", "support_tickets delete 1", "sessions delete 20007", "user anonymize 1"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("uninterrupted erasure %v, want %v", got, want)
		}
		wantRows := clean.dump()
		wantTotals := totals(t, clean)
		wantEntries := entries(t, clean)

		// The work's commits, as the engine makes them for this erasure:
		// one per batch (transactions, support_tickets, 20000 sessions,
		// 7 sessions, the user), one per seal (4), then the request's
		// completion.
		// What each crash leaves of user 6's sessions: all of them, 7
		// (the first batch committed), none.
		for _, tc := range []struct {
			point    string
			sessions string
		}{{"start", "20007"}, {"before:1", "20007"}, {"after:3", "7"}, {"before:5", "0"}, {"after:5", "0"}, {"after:7", "0"}, {"before:10", "0"}} {
			point := tc.point
			t.Run(strings.ReplaceAll(point, ":", "_"), func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, h)
				f.bulkSessions(bulk)
				r := f.openVerified(Erasure, "user:6", runAt)
				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), crashURL+"="+f.url, crashPoint+"="+point)
				out, err := cmd.CombinedOutput()
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != crashCode {
					t.Fatalf("%s: child = %v, want exit %d (exit %d: the point was not reached)\n%s", point, err, crashCode, missedCode, out)
				}
				if got := f.rows("SELECT COUNT(*) FROM sessions WHERE user_id = 6"); got[0] != tc.sessions {
					t.Errorf("%s: the crash left %s sessions of user 6, want %s", point, got[0], tc.sessions)
				}
				left, _, err := f.s.Get(ctx, r.ID)
				if err != nil || left.Status != InProgress {
					t.Errorf("%s: after the crash the request is %+v, %v; want in_progress", point, left, err)
				}
				resumed, err := f.s.Resume(ctx, "ops", runAt)
				if err != nil || len(resumed) != 1 || resumed[0].Status != Completed {
					t.Fatalf("%s: resume = %+v, %v", point, resumed, err)
				}
				if got := f.dump(); !reflect.DeepEqual(got, wantRows) {
					t.Errorf("%s: after resume the database differs from an uninterrupted run:\n%s\nwant\n%s", point, strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
				}
				if got := totals(t, f); !reflect.DeepEqual(got, wantTotals) {
					t.Errorf("%s: ledger totals %v, want %v", point, got, wantTotals)
				}
				if point == "start" {
					// Nothing had run: the resumed erasure is the whole of it,
					// entry for entry.
					if got := entries(t, f); !reflect.DeepEqual(got, wantEntries) {
						t.Errorf("%s: ledger entries\n%s\nwant\n%s", point, strings.Join(got, "\n"), strings.Join(wantEntries, "\n"))
					}
				}
				rep, err := f.e.Ledger().Verify(ctx)
				if err != nil || !rep.OK {
					t.Errorf("%s: ledger verify = %+v, %v", point, rep, err)
				}
				hist := history(t, f.s, r.ID)
				wantTail := []string{
					"2024-04-01T00:00:00Z op_1 started verified->in_progress: ",
					"2024-04-01T00:00:00Z ops resumed in_progress->in_progress: an interrupted erasure is carried out again",
					"2024-04-01T00:00:00Z ops completed in_progress->completed: transactions delete 1, support_tickets delete 1, sessions delete 20007, user anonymize 1",
				}
				if len(hist) != 5 || !reflect.DeepEqual(hist[2:], wantTail) {
					t.Errorf("%s: history:\n%s", point, strings.Join(hist, "\n"))
				}
				// Nothing is left to resume.
				if again, err := f.s.Resume(ctx, "ops", runAt); err != nil || len(again) != 0 {
					t.Errorf("%s: second resume = %+v, %v", point, again, err)
				}
			})
		}
	})
}

// totals sums the rows of the dsr_erasure ledger entries per dataset,
// sealed or not; zero totals are left out.
func totals(t *testing.T, f *fixture) map[string]int64 {
	t.Helper()
	list, err := f.e.Ledger().List(ctx, ledger.Filter{Reason: "dsr_erasure"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, en := range list {
		if en.Rows > 0 {
			out[en.Tenant+" "+en.Dataset+" "+en.SubjectKey+" "+en.Note] += en.Rows
		}
	}
	return out
}

// entries lists the ledger's entries without what differs between two
// runs (ids, run ids, hashes).
func entries(t *testing.T, f *fixture) []string {
	t.Helper()
	list, err := f.e.Ledger().List(ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range list {
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s %d sealed=%v", en.At.Format(time.RFC3339), en.Tenant, en.Dataset, en.Reason, en.SubjectKey, en.Note, en.Rows, en.Sealed()))
	}
	return out
}

// commitHook stops the process at the n-th commit once armed: before it
// reaches the database (the transaction is lost, as when a process dies
// inside it) or after (the process dies between transactions).
type commitHook struct {
	armed bool
	when  string // "before" or "after"
	n     int
	count int
}

func (h *commitHook) commit(tx driver.Tx) error {
	if !h.armed {
		return tx.Commit()
	}
	h.count++
	if h.when == "before" && h.count == h.n {
		os.Exit(crashCode)
	}
	err := tx.Commit()
	if h.when == "after" && h.count == h.n {
		os.Exit(crashCode)
	}
	return err
}

// hooked is a dialect whose pool goes through a commitHook; everything
// else is the dialect's own.
type hooked struct {
	dialect.Dialect
	db *sql.DB
}

func (d *hooked) DB() *sql.DB { return d.db }

// hookedDialect opens the database at u twice: the dialect as connect.Open
// makes it, and a pool configured like the dialect's own whose commits go
// through hook.
func hookedDialect(u string, hook *commitHook) (dialect.Dialect, error) {
	d, err := connect.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	var inner driver.Connector
	switch d.Name() {
	case "sqlite": // as sqlite.OpenFile configures it
		q := url.Values{}
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		inner = dsnConnector{drv: d.DB().Driver(), dsn: "file:" + strings.TrimPrefix(u, "sqlite://") + "?" + q.Encode()}
	case "postgres":
		cfg, err := pgx.ParseConfig(u)
		if err != nil {
			return nil, err
		}
		inner = stdlib.GetConnector(*cfg)
	case "mysql": // as mysql.Open configures it
		cfg, err := mysql.ParseDSN(strings.TrimPrefix(u, "mysql://"))
		if err != nil {
			return nil, err
		}
		cfg.ParseTime, cfg.Loc, cfg.ClientFoundRows = true, time.UTC, true
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["time_zone"] = "'+00:00'"
		if inner, err = mysql.NewConnector(cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("no hooked pool for %s", d.Name())
	}
	return &hooked{Dialect: d, db: sql.OpenDB(hookConnector{inner: inner, hook: hook})}, nil
}

type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

type hookConnector struct {
	inner driver.Connector
	hook  *commitHook
}

func (c hookConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return hookConn{Conn: conn, hook: c.hook}, nil
}

func (c hookConnector) Driver() driver.Driver { return c.inner.Driver() }

// hookConn passes everything to the driver's connection, and its
// transactions' commits through the hook.
type hookConn struct {
	driver.Conn
	hook *commitHook
}

type hookTx struct {
	driver.Tx
	hook *commitHook
}

func (tx hookTx) Commit() error { return tx.hook.commit(tx.Tx) }

func (c hookConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, fmt.Errorf("the driver's connection has no BeginTx")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return hookTx{Tx: tx, hook: c.hook}, nil
}

func (c hookConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if x, ok := c.Conn.(driver.ExecerContext); ok {
		return x.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c hookConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if x, ok := c.Conn.(driver.QueryerContext); ok {
		return x.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c hookConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if x, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return x.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c hookConn) CheckNamedValue(nv *driver.NamedValue) error {
	if x, ok := c.Conn.(driver.NamedValueChecker); ok {
		return x.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c hookConn) ResetSession(ctx context.Context) error {
	if x, ok := c.Conn.(driver.SessionResetter); ok {
		return x.ResetSession(ctx)
	}
	return nil
}

func (c hookConn) IsValid() bool {
	if x, ok := c.Conn.(driver.Validator); ok {
		return x.IsValid()
	}
	return true
}
