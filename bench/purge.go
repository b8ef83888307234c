package main

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"lethe"
)

// The purge data: events spread over 60 days from 2020-01-01 (with two
// hours of jitter, so the boundary is not a clean key range), swept on
// 2020-03-01 with a retention of 30 days: half of them are due.
var (
	purgeAt     = time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
	purgeCutoff = time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)
)

const purgeTenants = 20

// eventsDDL is a table of realistic width (about 350 bytes a row) with a
// tenant column and two secondary indexes, as an application's event log
// has them.
func eventsDDL(g sqlgen) (string, []string) {
	ddl := `CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(64), actor_id BIGINT, kind VARCHAR(40),
		ip VARCHAR(45), user_agent VARCHAR(255), payload TEXT, created_at ` + g.ts() + ` NOT NULL)`
	return ddl, []string{
		"CREATE INDEX %s_tenant_created ON %s (tenant_id, created_at)",
		"CREATE INDEX %s_actor ON %s (actor_id)",
	}
}

// buildEvents makes tables names[0], names[1], ... holding the same rows.
func buildEvents(ctx context.Context, s *scratch, n int64, names ...string) error {
	g := sqlgen{s.dialect}
	ddl, indexes := eventsDDL(g)
	first := names[0]
	if err := s.exec(ctx, fmt.Sprintf(ddl, first)); err != nil {
		return err
	}
	N := strconv.FormatInt(n, 10)
	cols := []string{"id", "tenant_id", "actor_id", "kind", "ip", "user_agent", "payload", "created_at"}
	exprs := []string{
		"n",
		g.concat("'tenant_'", g.text("n % "+strconv.Itoa(purgeTenants))),
		"n % 50000",
		g.concat("'event.kind.'", g.text("n % 37")),
		g.concat("'10.0.'", g.text("n % 256"), "'.'", g.text("n % 253")),
		"'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'",
		g.concat(`'{"request":"'`, g.hash("n"), g.hash("n + 1"), g.hash("n + 2"), g.hash("n + 3"), `'"}'`),
		g.at(g.idiv("n * 5184000", N) + " + (n * 7919) % 7200"),
	}
	if err := s.fill(ctx, first, cols, exprs, n); err != nil {
		return err
	}
	for _, ix := range indexes {
		if err := s.exec(ctx, strings.ReplaceAll(ix, "%s", first)); err != nil {
			return err
		}
	}
	for _, name := range names[1:] {
		if err := s.copyTable(ctx, ddl, indexes, first, name); err != nil {
			return err
		}
	}
	return s.analyze(ctx, names...)
}

func eventsPolicy(table string) string {
	return `version: 1
tenant_column: tenant_id
datasets:
  events:
    table: ` + table + `
    key: id
    retention: {keep: 30 days, since: created_at}
`
}

// cutoffArg is the cutoff as a baseline binds it: the stored form.
func cutoffArg(s *scratch, t time.Time) any {
	if s.dialect == "sqlite" {
		return t.Format("2006-01-02 15:04:05")
	}
	return s.d.ClockArg(lethe.ClockNative, t, time.UTC)
}

// checkpoint writes dirty pages out, so one side does not pay for the
// data loading or the other side's writes. MariaDB has no such command:
// there it waits (up to settleFor) for InnoDB to purge the rows earlier
// deletes marked, and to write out the pages earlier statements changed,
// which it would otherwise do while the next side runs: pt-archiver took
// 17 s or 23 s for the same rows depending on the purge, and 25.4 s
// while InnoDB wrote out the pages Lethe's purge had just changed, 17.4 s
// once it waited for them. Other clients of a shared server keep pages
// dirty: the wait for them ends once their count has not fallen for
// settleStill, and a quick run does not wait for them (settlePages).
func (s *scratch) checkpoint(ctx context.Context) {
	switch s.dialect {
	case "postgres":
		s.exec(ctx, "CHECKPOINT")
	case "sqlite":
		s.exec(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	case "mysql":
		deadline := time.Now().Add(settleFor)
		fewest, fell := int64(math.MaxInt64), time.Now()
		for time.Now().Before(deadline) {
			var history, dirty int64
			err := s.d.DB().QueryRowContext(ctx, `SELECT
				CAST(SUM(CASE WHEN VARIABLE_NAME = 'INNODB_HISTORY_LIST_LENGTH' THEN VARIABLE_VALUE END) AS SIGNED),
				CAST(SUM(CASE WHEN VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY' THEN VARIABLE_VALUE END) AS SIGNED)
				FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('INNODB_HISTORY_LIST_LENGTH', 'INNODB_BUFFER_POOL_PAGES_DIRTY')`).Scan(&history, &dirty)
			if dirty < fewest {
				fewest, fell = dirty, time.Now()
			}
			if err != nil || history <= 1000 && (!s.settlePages || dirty <= 200 || time.Since(fell) > settleStill) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
}

// settleFor bounds how long checkpoint waits for MariaDB; settleStill is
// how long the count of dirty pages may stay up before it stops waiting
// for them.
const (
	settleFor   = 90 * time.Second
	settleStill = 3 * time.Second
)

// sweepLethe runs Lethe's sweep of a one-table retention policy in the
// child process.
func sweepLethe(ctx context.Context, cfg *config, s *scratch, policy string, at time.Time, secret string) (*outcome, error) {
	s.checkpoint(ctx)
	var out *outcome
	_, io, err := s.timedIO(ctx, func() error {
		var err error
		out, err = runLethe(ctx, job{Kind: "sweep", URL: s.url, Policy: policy, At: at, Batch: cfg.batch, Walkers: cfg.walkers, Secret: secret})
		return err
	})
	if err != nil {
		return nil, err
	}
	out.IO = io
	return out, nil
}

// timedIO runs fn, as timed does, and on MariaDB also says what InnoDB
// wrote and read while it ran, from the server's counters (other clients
// of a shared server count too); "" elsewhere. A purge there is bound by
// the pages it changes, which InnoDB must write out to free room in its
// buffer pool, so these figures say why one side took longer than the
// other where the time alone cannot.
func (s *scratch) timedIO(ctx context.Context, fn func() error) (time.Duration, string, error) {
	if s.dialect != "mysql" {
		took, err := timed(fn)
		return took, "", err
	}
	before, okBefore := s.innodbIO(ctx)
	took, err := timed(fn)
	if err != nil {
		return took, "", err
	}
	after, okAfter := s.innodbIO(ctx)
	if !okBefore || !okAfter {
		return took, "", nil
	}
	return took, fmt.Sprintf("InnoDB wrote %d pages and read %d from disk meanwhile", after.written-before.written, after.read-before.read), nil
}

// innodbIO is InnoDB's count of pages written and of pages read from disk
// (a page the buffer pool did not hold), since the server started.
type innodbIO struct{ written, read int64 }

func (s *scratch) innodbIO(ctx context.Context) (innodbIO, bool) {
	var io innodbIO
	err := s.d.DB().QueryRowContext(ctx, `SELECT
		CAST(SUM(CASE WHEN VARIABLE_NAME = 'INNODB_PAGES_WRITTEN' THEN VARIABLE_VALUE END) AS SIGNED),
		CAST(SUM(CASE WHEN VARIABLE_NAME = 'INNODB_BUFFER_POOL_READS' THEN VARIABLE_VALUE END) AS SIGNED)
		FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('INNODB_PAGES_WRITTEN', 'INNODB_BUFFER_POOL_READS')`).Scan(&io.written, &io.read)
	return io, err == nil
}

// withNote adds more to a note, after a semicolon.
func withNote(note, more string) string {
	if note == "" || more == "" {
		return note + more
	}
	return note + "; " + more
}

// checkPurge compares the table Lethe swept with the one the baseline
// emptied: the same rows must be left, and no due row.
func checkPurge(ctx context.Context, s *scratch, lethe *outcome, want int64, letheTable, baseTable string) ([]string, error) {
	var problems []string
	if lethe.Rows != want {
		problems = append(problems, fmt.Sprintf("the ledger records %d rows deleted, want %d", lethe.Rows, want))
	}
	cut := cutoffArg(s, purgeCutoff)
	p1 := s.d.Placeholder(1)
	left, err := s.count(ctx, "SELECT COUNT(*) FROM "+letheTable+" WHERE created_at < "+p1, cut)
	if err != nil {
		return nil, err
	}
	if left != 0 {
		problems = append(problems, fmt.Sprintf("%d due rows are left in %s", left, letheTable))
	}
	var ln, lsum, bn, bsum int64
	if err := s.d.DB().QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(id), 0) FROM "+letheTable).Scan(&ln, &lsum); err != nil {
		return nil, err
	}
	if err := s.d.DB().QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(id), 0) FROM "+baseTable).Scan(&bn, &bsum); err != nil {
		return nil, err
	}
	if ln != bn || lsum != bsum {
		problems = append(problems, fmt.Sprintf("%s keeps %d rows (key sum %d), the baseline's copy %d (key sum %d)", letheTable, ln, lsum, bn, bsum))
	}
	return problems, nil
}

func purgeCase(ctx context.Context, cfg *config, s *scratch) ([]Row, []string, error) {
	if err := buildEvents(ctx, s, cfg.rows, "events_lethe", "events_raw"); err != nil {
		return nil, nil, err
	}
	want, err := s.count(ctx, "SELECT COUNT(*) FROM events_raw WHERE created_at < "+s.d.Placeholder(1), cutoffArg(s, purgeCutoff))
	if err != nil {
		return nil, nil, err
	}
	lethe, err := sweepLethe(ctx, cfg, s, eventsPolicy("events_lethe"), purgeAt, "")
	if err != nil {
		return nil, nil, err
	}
	s.checkpoint(ctx)
	var deleted int64
	took, io, err := s.timedIO(ctx, func() error {
		res, err := s.d.DB().ExecContext(ctx, "DELETE FROM events_raw WHERE created_at < "+s.d.Placeholder(1), cutoffArg(s, purgeCutoff))
		if err != nil {
			return err
		}
		deleted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	base := Row{Side: "raw DELETE", Rows: deleted, Seconds: took.Seconds(), LongestTx: ptr(ms(took)), Note: withNote("one DELETE ... WHERE created_at < cutoff", io)}
	problems, err := checkPurge(ctx, s, lethe, want, "events_lethe", "events_raw")
	if err != nil {
		return nil, nil, err
	}
	return sides("purge", s.dialect, lethe, base), problems, nil
}

// ptArchiverCase compares Lethe's sweep with pt-archiver purging an
// identical copy on MariaDB, in batches of 1000 committed one by one.
func ptArchiverCase(ctx context.Context, cfg *config, s *scratch) ([]Row, []string, error) {
	if s.dialect != "mysql" {
		return nil, nil, errSkip{"pt-archiver works on MySQL/MariaDB only"}
	}
	bin, err := exec.LookPath("pt-archiver")
	if err != nil {
		return nil, nil, errSkip{"pt-archiver is not installed (apt-get install -y percona-toolkit)"}
	}
	if err := buildEvents(ctx, s, cfg.rows, "events_lethe", "events_pt"); err != nil {
		return nil, nil, err
	}
	want, err := s.count(ctx, "SELECT COUNT(*) FROM events_pt WHERE created_at < ?", cutoffArg(s, purgeCutoff))
	if err != nil {
		return nil, nil, err
	}
	lethe, err := sweepLethe(ctx, cfg, s, eventsPolicy("events_lethe"), purgeAt, "")
	if err != nil {
		return nil, nil, err
	}
	dsn, err := ptDSN(s.url, "events_pt")
	if err != nil {
		return nil, nil, err
	}
	where := "created_at < '" + purgeCutoff.Format("2006-01-02 15:04:05") + "'"
	s.checkpoint(ctx)
	var out []byte
	took, io, err := s.timedIO(ctx, func() error {
		cmd := exec.CommandContext(ctx, bin, "--source", dsn, "--purge", "--where", where,
			"--limit", "1000", "--commit-each", "--bulk-delete", "--no-check-charset")
		var err error
		out, err = cmd.CombinedOutput()
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("pt-archiver: %v\n%s", err, out)
	}
	left, err := s.count(ctx, "SELECT COUNT(*) FROM events_pt WHERE created_at < ?", cutoffArg(s, purgeCutoff))
	if err != nil {
		return nil, nil, err
	}
	base := Row{Side: "pt-archiver", Rows: want - left, Seconds: took.Seconds(),
		Note: withNote("pt-archiver --purge --limit 1000 --commit-each --bulk-delete; its transactions are not measured", io)}
	problems, err := checkPurge(ctx, s, lethe, want, "events_lethe", "events_pt")
	if err != nil {
		return nil, nil, err
	}
	return sides("pt-archiver", s.dialect, lethe, base), problems, nil
}

// ptDSN turns a mysql:// URL into pt-archiver's DSN for one table.
func ptDSN(rawURL, table string) (string, error) {
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(rawURL, "mysql://"))
	if err != nil {
		return "", err
	}
	host, port := cfg.Addr, "3306"
	if h, p, ok := strings.Cut(cfg.Addr, ":"); ok {
		host, port = h, p
	}
	parts := []string{"h=" + host, "P=" + port, "u=" + cfg.User}
	if cfg.Passwd != "" {
		parts = append(parts, "p="+cfg.Passwd)
	}
	parts = append(parts, "D="+cfg.DBName, "t="+table)
	return strings.Join(parts, ","), nil
}
