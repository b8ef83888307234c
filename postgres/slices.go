package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"lethe"
	"lethe/dialect"
)

// SliceOn sets up, on conn's session, two temporary functions (they live
// in pg_temp and go with the session, or with Close) that delete a slice
// of s's clock tenant by tenant and find where the tenants' rows begin.
// One call a slice instead of a statement a tenant: by the round trips
// alone, 20 tenants a slice took 2.1-2.2 s where one call took 1.8-1.9.
// The clock must be a timestamp (with or without time zone) or an
// integer Unix clock; a date would be cut at the day, and a text clock
// is not ordered by time.
//
// A slice's transaction commits without waiting for its WAL to reach the
// disk (synchronous_commit off, for that transaction only, so nothing
// lingers on a session a pool hands on): a walk by clock commits a few
// thousand rows a time, and the wait for each commit's flush made it
// 2.49-2.55 s where it took 1.91-2.15 without. A server that crashes loses at most the last
// batches whole, each with its ledger update in the same transaction, so
// no row is gone without its count; and an entry is sealed by a commit
// that waits, which makes every batch before it durable first.
func (d *Dialect) SliceOn(ctx context.Context, conn *sql.Conn, s dialect.ClockSlices) (dialect.Slicer, bool, error) {
	var typ string
	err := conn.QueryRowContext(ctx, `SELECT data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, s.Table, s.Clock).Scan(&typ)
	if err == sql.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("slice %s by %s: %w", s.Table, s.Clock, err)
	}
	sl := &slicer{conn: conn, s: s, loc: s.Loc}
	if sl.loc == nil {
		sl.loc = time.UTC
	}
	switch {
	case s.Unit == lethe.ClockNative && typ == "timestamp with time zone":
		sl.typ, sl.bound, sl.instant = "timestamptz", "timestamptz 'epoch' + %s * interval '1 microsecond'", true
	case s.Unit == lethe.ClockNative && typ == "timestamp without time zone":
		sl.typ, sl.bound = "timestamp", "timestamp 'epoch' + %s * interval '1 microsecond'"
	case s.Unit != lethe.ClockNative && (typ == "bigint" || typ == "integer" || typ == "smallint"):
		sl.typ, sl.bound = "bigint", "%s"
	default:
		return nil, false, nil
	}
	t, tenant, clock := d.Quote(s.Table), d.Quote(s.TenantColumn), d.Quote(s.Clock)
	if strings.Contains(t+tenant+clock, "$") {
		return nil, false, nil // the functions' bodies are quoted with $lethe$
	}
	h := sha256.Sum256([]byte(strings.Join([]string{t, tenant, clock, typ, string(s.Unit)}, "\x00")))
	sl.name = "pg_temp.lethe_slice_" + hex.EncodeToString(h[:6])
	// Each clock to units: a timestamp's epoch (of its wall clock when it
	// has no zone, as Cutoff reads it). Only finite timestamps: the first
	// slice is open below, so it takes -infinity.
	units, finite := "m::bigint", ""
	if s.Unit == lethe.ClockNative {
		units = "floor(extract(epoch FROM m) * 1000000)::bigint"
		finite = " AND " + clock + " > '-infinity' AND " + clock + " < 'infinity'"
	}
	which := func(cond string) string {
		return `IF t = '' THEN
					` + strings.ReplaceAll(cond, "?", tenant+" IS NULL") + `
				ELSE
					tv := t;
					` + strings.ReplaceAll(cond, "?", tenant+" = tv") + `
				END IF;`
	}
	for _, fn := range []string{
		`CREATE OR REPLACE FUNCTION ` + sl.name + `(tenants text[], lo bigint, hi bigint, most bigint)
		RETURNS SETOF bigint LANGUAGE plpgsql AS $lethe$
		DECLARE
			t text;
			tv ` + t + `.` + tenant + `%TYPE;
			lo_b ` + sl.typ + ` := ` + fmt.Sprintf(sl.bound, "lo") + `;
			hi_b ` + sl.typ + ` := ` + fmt.Sprintf(sl.bound, "hi") + `;
			n bigint;
			total bigint := 0;
		BEGIN
			PERFORM set_config('synchronous_commit', 'off', true);
			FOREACH t IN ARRAY tenants LOOP
				IF lo IS NULL THEN
				` + which(`DELETE FROM `+t+` WHERE ? AND `+clock+` < hi_b;`) + `
				ELSE
				` + which(`DELETE FROM `+t+` WHERE ? AND `+clock+` >= lo_b AND `+clock+` < hi_b;`) + `
				END IF;
				GET DIAGNOSTICS n = ROW_COUNT;
				RETURN NEXT n;
				total := total + n;
				EXIT WHEN total > most;
			END LOOP;
		END
		$lethe$`,
		`CREATE OR REPLACE FUNCTION ` + sl.name + `_first(tenants text[])
		RETURNS bigint LANGUAGE plpgsql AS $lethe$
		DECLARE
			t text;
			tv ` + t + `.` + tenant + `%TYPE;
			m ` + t + `.` + clock + `%TYPE;
			v bigint;
			best bigint;
		BEGIN
			FOREACH t IN ARRAY tenants LOOP
				` + which(`SELECT min(`+clock+`) INTO m FROM `+t+` WHERE ?`+finite+`;`) + `
				IF m IS NOT NULL THEN
					v := ` + units + `;
					IF best IS NULL OR v < best THEN best := v; END IF;
				END IF;
			END LOOP;
			RETURN best;
		END
		$lethe$`,
	} {
		if _, err := conn.ExecContext(ctx, fn); err != nil {
			// No temporary objects allowed here (no TEMP privilege, a
			// read-only session): the caller walks another way.
			return nil, false, nil
		}
	}
	return sl, true, nil
}

// slicer is a dialect.Slicer on one session.
type slicer struct {
	conn    *sql.Conn
	s       dialect.ClockSlices
	loc     *time.Location
	name    string // of the slice function; the other ends in _first
	typ     string // of a bound in SQL: timestamptz, timestamp or bigint
	bound   string // units (%s) to a bound of typ, in SQL
	instant bool   // a timestamp with time zone
}

func (sl *slicer) Cutoff(cutoff time.Time) int64 {
	switch {
	case sl.s.Unit != lethe.ClockNative:
		return dialect.UnixArg(sl.s.Unit, cutoff)
	case sl.instant:
		return cutoff.UnixMicro()
	}
	// A zone-less timestamp is compared by its wall clock in loc, which
	// pgx sends as it reads (see ClockArg): the same wall clock, as UTC.
	w := cutoff.In(sl.loc)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC).UnixMicro()
}

func (sl *slicer) Earliest(ctx context.Context, q dialect.Querier, tenants []string) (int64, bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+sl.name+"_first($1)", tenants)
	if err != nil {
		return 0, false, fmt.Errorf("find the earliest clock of %s: %w", sl.s.Table, gone(err))
	}
	defer rows.Close()
	var first sql.NullInt64
	if rows.Next() {
		if err := rows.Scan(&first); err != nil {
			return 0, false, fmt.Errorf("find the earliest clock of %s: %w", sl.s.Table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("find the earliest clock of %s: %w", sl.s.Table, gone(err))
	}
	return first.Int64, first.Valid, nil
}

func (sl *slicer) Delete(ctx context.Context, q dialect.Querier, tenants []string, from, to, most int64) ([]int64, error) {
	var lo any = from
	if from == dialect.OpenBelow {
		lo = nil
	}
	rows, err := q.QueryContext(ctx, "SELECT n FROM "+sl.name+"($1, $2, $3, $4) WITH ORDINALITY AS f(n, i) ORDER BY i", tenants, lo, to, most)
	if err != nil {
		return nil, fmt.Errorf("delete due rows of %s: %w", sl.s.Table, gone(err))
	}
	defer rows.Close()
	var counts []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("delete due rows of %s: %w", sl.s.Table, err)
		}
		counts = append(counts, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delete due rows of %s: %w", sl.s.Table, gone(err))
	}
	return counts, nil
}

// gone marks an undefined function (SQLSTATE 42883) as dialect.ErrSlicesGone:
// the session the statement ran on lacks the slice functions, or one
// they call. A statement that fails that way changed nothing.
func gone(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42883" {
		return fmt.Errorf("%w: %w", dialect.ErrSlicesGone, err)
	}
	return err
}

func (sl *slicer) Close(ctx context.Context) error {
	_, err := sl.conn.ExecContext(context.WithoutCancel(ctx), "DROP FUNCTION IF EXISTS "+sl.name+"(text[], bigint, bigint, bigint), "+sl.name+"_first(text[])")
	if err != nil {
		return fmt.Errorf("drop the slice functions of %s: %w", sl.s.Table, err)
	}
	return nil
}
