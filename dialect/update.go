package dialect

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"lethe"
)

// maxParams is the most bind parameters one statement is given: below
// SQLite's 32766 and the 65535 of PostgreSQL and MySQL.
const maxParams = 30000

// UpdateRows writes a different value into each row: rows[i][0] is a
// value of the column key, matching one row (the table's key) or several
// (an owner link), and rows[i][j+1] the value of columns[j]. same holds assignments equal
// for every row. types are the types of the key and then of columns, as
// Introspect names them: PostgreSQL reads the parameters of a VALUES list
// by them. One statement updates many rows (UPDATE ... FROM VALUES, or a
// join with a derived table on MySQL), instead of a statement per row.
// It returns how many rows matched.
func UpdateRows(ctx context.Context, d Dialect, db Querier, table, key string, same []lethe.Assignment, columns, types []string, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if len(columns) == 0 {
		var total int64
		for start := 0; start < len(rows); start += 10000 {
			part := rows[start:min(start+10000, len(rows))]
			keys := make([]any, len(part))
			for i, r := range part {
				keys[i] = r[0]
			}
			n, err := UpdateByKeys(ctx, d, db, table, key, keys, same, nil)
			if err != nil {
				return total, err
			}
			total += n
		}
		return total, nil
	}
	if d.Name() == "postgres" {
		if arrays, ok := arrayLiterals(types, len(columns)+1, rows); ok {
			return updateFromArrays(ctx, d, db, table, key, same, columns, types, arrays)
		}
	}
	if d.Name() == "mysql" {
		ok, err := readsJSONTable(ctx, d, db)
		if err != nil {
			return 0, err
		}
		if kinds, fits := jsonKinds(rows); ok && fits {
			return updateFromJSON(ctx, d, db, table, key, same, columns, kinds, rows)
		}
	}
	if d.Name() == "sqlite" {
		if p, ok := db.(preparer); ok {
			return updateEachRow(ctx, d, p, table, key, same, columns, rows)
		}
	}
	per := max(1, (maxParams-len(same))/(len(columns)+1))
	var total int64
	for start := 0; start < len(rows); start += per {
		n, err := updateRows(ctx, d, db, table, key, same, columns, types, rows[start:min(start+per, len(rows))])
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// preparer is a Querier that prepares statements, as *sql.DB and *sql.Tx
// do.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// updateEachRow is UpdateRows on SQLite: one prepared UPDATE, run once a
// row. SQLite runs in the process, so a statement costs no round trip,
// while the VALUES form of the servers makes SQLite parse thousands of
// parameters and join them: in an anonymization of 1M rows that parse
// alone took 1.0 s of 6.9. The statement runs under a context that is
// never done, and ctx is checked between rows instead: the driver starts
// a goroutine to watch the context of every statement, which would cost
// more than the row.
func updateEachRow(ctx context.Context, d Dialect, db preparer, table, key string, same []lethe.Assignment, columns []string, rows [][]any) (int64, error) {
	assign := make([]string, 0, len(columns)+len(same))
	for _, c := range columns {
		assign = append(assign, d.Quote(c)+" = ?")
	}
	for _, s := range same {
		assign = append(assign, d.Quote(s.Column)+" = ?")
	}
	// "= +?", not "= ?": the driver's SQLite keeps index statistics
	// (STAT4) once a table is analyzed, and a bare parameter that the
	// plan's estimate reads makes SQLite prepare the statement again for
	// every new value (0.8 s of those 6.9). The unary plus hides the value
	// from the estimate and changes nothing else: the column's affinity
	// still applies to it.
	stmt, err := db.PrepareContext(ctx, "UPDATE "+d.Quote(table)+" SET "+strings.Join(assign, ", ")+" WHERE "+d.Quote(key)+" = +?")
	if err != nil {
		return 0, fmt.Errorf("update %s: %w", table, err)
	}
	defer stmt.Close()
	run := context.WithoutCancel(ctx)
	args := make([]any, len(columns)+len(same)+1)
	for j, s := range same {
		args[len(columns)+j] = s.Value
	}
	var total int64
	for i, r := range rows {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return total, fmt.Errorf("update %s: %w", table, err)
			}
		}
		copy(args, r[1:len(columns)+1])
		args[len(args)-1] = r[0]
		res, err := stmt.ExecContext(run, args...)
		if err != nil {
			return total, fmt.Errorf("update %s: %w", table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("update %s: %w", table, err)
		}
		total += n
	}
	return total, nil
}

func updateRows(ctx context.Context, d Dialect, db Querier, table, key string, same []lethe.Assignment, columns, types []string, rows [][]any) (int64, error) {
	a := &args{d: d}
	t := d.Quote(table)
	names := make([]string, len(columns)+1)
	names[0] = "k"
	for j := range columns {
		names[j+1] = "c" + strconv.Itoa(j+1)
	}
	var assign []string
	for j, c := range columns {
		assign = append(assign, d.Quote(c)+" = v."+names[j+1])
	}
	var b strings.Builder
	switch d.Name() {
	case "mysql":
		// UPDATE t JOIN (SELECT ? AS k, ? AS c1 UNION ALL SELECT ?, ? ...) v
		// ON t.key = v.k SET ...; constants are bound after the rows.
		b.WriteString("UPDATE " + t + " JOIN (")
		for i, r := range rows {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString("SELECT ")
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(a.add(v))
				if i == 0 {
					b.WriteString(" AS " + names[j])
				}
			}
		}
		b.WriteString(") v ON " + t + "." + d.Quote(key) + " = v.k SET ")
		for i := range assign {
			assign[i] = t + "." + assign[i]
		}
		for _, s := range same {
			assign = append(assign, t+"."+d.Quote(s.Column)+" = "+a.add(s.Value))
		}
		b.WriteString(strings.Join(assign, ", "))
	default:
		// WITH v(k, c1, ...) AS (VALUES (...), ...) UPDATE t SET ... FROM v
		// WHERE t.key = v.k: PostgreSQL and SQLite (3.33 and later) alike.
		b.WriteString("WITH v(" + strings.Join(names, ", ") + ") AS (VALUES ")
		for i, r := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				ph := a.add(v)
				if d.Name() == "postgres" && j < len(types) && types[j] != "" {
					ph += "::" + types[j]
				}
				b.WriteString(ph)
			}
			b.WriteString(")")
		}
		b.WriteString(") UPDATE " + t + " SET ")
		for _, s := range same {
			assign = append(assign, d.Quote(s.Column)+" = "+a.add(s.Value))
		}
		b.WriteString(strings.Join(assign, ", "))
		b.WriteString(" FROM v WHERE " + t + "." + d.Quote(key) + " = v.k")
	}
	return exec(ctx, db, "update "+table, b.String(), a.list)
}

// updateFromArrays is UpdateRows on PostgreSQL with one array parameter a
// column: UPDATE t SET ... FROM unnest($1, $2, ...) AS v(k, c1, ...).
// However many rows, the statement has the same few parameters, so the
// server parses and plans one short text instead of thousands of VALUES
// parameters, and no batch needs splitting.
func updateFromArrays(ctx context.Context, d Dialect, db Querier, table, key string, same []lethe.Assignment, columns, types, arrays []string) (int64, error) {
	a := &args{d: d}
	t := d.Quote(table)
	names := make([]string, len(arrays))
	params := make([]string, len(arrays))
	for j, lit := range arrays {
		names[j] = "c" + strconv.Itoa(j)
		// Bound as text and cast, so every driver sends the literal as
		// it is.
		params[j] = a.add(lit) + "::text::" + types[j] + "[]"
	}
	names[0] = "k"
	assign := make([]string, 0, len(columns)+len(same))
	for j, c := range columns {
		assign = append(assign, d.Quote(c)+" = v."+names[j+1])
	}
	for _, s := range same {
		assign = append(assign, d.Quote(s.Column)+" = "+a.add(s.Value))
	}
	query := "UPDATE " + t + " SET " + strings.Join(assign, ", ") +
		" FROM unnest(" + strings.Join(params, ", ") + ") AS v(" + strings.Join(names, ", ") + ")" +
		" WHERE " + t + "." + d.Quote(key) + " = v.k"
	return exec(ctx, db, "update "+table, query, a.list)
}

// arrayLiterals writes each of the first width columns of rows as a
// PostgreSQL array literal ({"1","2",NULL}). It fails when a column has no
// type to cast to or holds a value other than NULL, text, an integer, a
// float or a boolean: those go through VALUES, where the driver encodes
// them.
func arrayLiterals(types []string, width int, rows [][]any) ([]string, bool) {
	if len(types) < width {
		return nil, false
	}
	out := make([]string, width)
	var b strings.Builder
	for j := 0; j < width; j++ {
		if types[j] == "" {
			return nil, false
		}
		b.Reset()
		b.WriteByte('{')
		for i, r := range rows {
			if i > 0 {
				b.WriteByte(',')
			}
			if !appendElement(&b, r[j]) {
				return nil, false
			}
		}
		b.WriteByte('}')
		out[j] = b.String()
	}
	return out, true
}

// appendElement writes one array element, quoted so that no value is
// read as NULL or as array syntax.
func appendElement(b *strings.Builder, v any) bool {
	var text string
	switch x := v.(type) {
	case nil:
		b.WriteString("NULL")
		return true
	case string:
		if strings.IndexByte(x, 0) >= 0 {
			return false // PostgreSQL text holds no NUL; let the driver say so
		}
		text = x
	case int64:
		text = strconv.FormatInt(x, 10)
	case int:
		text = strconv.Itoa(x)
	case int32:
		text = strconv.FormatInt(int64(x), 10)
	case float64:
		text = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		text = strconv.FormatBool(x)
	default:
		return false
	}
	b.WriteByte('"')
	for i := 0; i < len(text); i++ {
		if c := text[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(text[i])
	}
	b.WriteByte('"')
	return true
}

// jsonRowsPer is the most rows one JSON_TABLE statement carries: about a
// megabyte of JSON, well under any server's max_allowed_packet.
const jsonRowsPer = 10000

// updateFromJSON is UpdateRows on MySQL and MariaDB with every row in one
// JSON parameter: UPDATE t JOIN JSON_TABLE(?, ...) v ON t.key = v.k SET
// .... The server reads one parameter instead of parsing a derived table
// of a SELECT a row, which is what bounds the other form. kinds are the
// JSON_TABLE types of the key and the columns (see jsonKinds).
func updateFromJSON(ctx context.Context, d Dialect, db Querier, table, key string, same []lethe.Assignment, columns, kinds []string, rows [][]any) (int64, error) {
	t := d.Quote(table)
	defs := make([]string, len(kinds))
	for j, kind := range kinds {
		name := "c" + strconv.Itoa(j)
		if j == 0 {
			name = "k"
		}
		defs[j] = name + " " + kind + " PATH '$[" + strconv.Itoa(j) + "]'"
	}
	assign := make([]string, 0, len(columns)+len(same))
	for j, c := range columns {
		assign = append(assign, t+"."+d.Quote(c)+" = v.c"+strconv.Itoa(j+1))
	}
	var total int64
	for start := 0; start < len(rows); start += jsonRowsPer {
		part := rows[start:min(start+jsonRowsPer, len(rows))]
		doc, err := jsonRows(part)
		if err != nil {
			return total, fmt.Errorf("update %s: %w", table, err)
		}
		a := &args{d: d}
		from := "JSON_TABLE(" + a.add(doc) + ", '$[*]' COLUMNS (" + strings.Join(defs, ", ") + "))"
		set := append([]string{}, assign...)
		for _, s := range same {
			set = append(set, t+"."+d.Quote(s.Column)+" = "+a.add(s.Value))
		}
		query := "UPDATE " + t + " JOIN " + from + " v ON " + t + "." + d.Quote(key) + " = v.k SET " + strings.Join(set, ", ")
		n, err := exec(ctx, db, "update "+table, query, a.list)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// jsonKinds names the JSON_TABLE type of each column of rows: BIGINT for
// integers, LONGTEXT for text (NULLs fit either). It fails for a key that
// is not an integer (a text key would be compared under JSON_TABLE's
// collation, not the column's), for text that is not UTF-8, and for any
// other value: those rows go through the derived table.
func jsonKinds(rows [][]any) ([]string, bool) {
	kinds := make([]string, len(rows[0]))
	for _, r := range rows {
		for j, v := range r {
			var kind string
			switch x := v.(type) {
			case nil:
				if j == 0 {
					return nil, false
				}
				continue
			case int64:
				kind = "BIGINT"
			case string:
				if j == 0 || !utf8.ValidString(x) {
					return nil, false
				}
				kind = "LONGTEXT"
			default:
				return nil, false
			}
			if kinds[j] != "" && kinds[j] != kind {
				return nil, false
			}
			kinds[j] = kind
		}
	}
	for j := range kinds {
		if kinds[j] == "" {
			kinds[j] = "LONGTEXT" // NULL in every row
		}
	}
	return kinds, true
}

// jsonRows writes rows as a JSON array of arrays. Integers are written as
// strings, so no JSON reader takes them for doubles and rounds them.
func jsonRows(rows [][]any) (string, error) {
	out := make([][]any, len(rows))
	for i, r := range rows {
		row := make([]any, len(r))
		for j, v := range r {
			if n, ok := v.(int64); ok {
				row[j] = strconv.FormatInt(n, 10)
			} else {
				row[j] = v
			}
		}
		out[i] = row
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// jsonTableServers remembers, per connection pool, whether the server
// reads JSON_TABLE (MySQL 8.0, MariaDB 10.6 and later), so it is asked
// once, not every batch.
var jsonTableServers sync.Map // the pool (*sql.DB) -> bool

func readsJSONTable(ctx context.Context, d Dialect, db Querier) (bool, error) {
	pool := d.DB()
	if ok, known := jsonTableServers.Load(pool); known {
		return ok.(bool), nil
	}
	version, err := serverVersion(ctx, d, db)
	if err != nil {
		return false, err
	}
	ok := versionAtLeast(version, 8, 0)
	if strings.Contains(version, "MariaDB") {
		ok = versionAtLeast(version, 10, 6)
	}
	jsonTableServers.Store(pool, ok)
	return ok, nil
}

// SelectDueKeysFrom returns up to q.Limit keys of due rows in the order of
// the clock's only column, from a lower bound on that column (nil: from
// the start), and the column's value in the last row: the next page's
// bound. For callers whose changes take each page's rows out of the
// selection (see Due.Unordered): the bound lets the database start its
// index walk past the rows earlier pages changed instead of stepping over
// them again on every page. The bound is the value as the driver returned
// it, compared as the column's values are ordered, which on SQLite may
// differ from the clock's reading of mixed text forms: a caller ends with
// an unbounded SelectDueKeys, so no due row is missed. q.After is ignored.
func SelectDueKeysFrom(ctx context.Context, d Dialect, db Querier, q Due, from any) ([]any, any, error) {
	if q.Limit <= 0 {
		return nil, nil, fmt.Errorf("select due keys of %s: limit must be positive", q.Table)
	}
	if len(q.Clock.Columns) != 1 {
		return nil, nil, fmt.Errorf("select due keys of %s: paging from a bound needs a clock of one column", q.Table)
	}
	q.After = nil
	a := &args{d: d}
	key, clock := d.Quote(q.Key), d.Quote(q.Clock.Columns[0].Name)
	where := q.where(d, a)
	if from != nil {
		where += " AND " + clock + " >= " + a.add(from)
	}
	// The cutoff again, on the column as stored, so the walk also stops at
	// the cutoff where the clock condition reads the column through a
	// function (SQLite's text times) and no index range can end it.
	col := q.Clock.Columns[0]
	where += " AND " + clock + " <= " + a.add(d.ClockArg(col.Unit, q.Cutoff, orUTC(q.Loc)))
	read := clock
	if d.Name() == "sqlite" {
		// As stored: the driver would turn text of a time column into a
		// time.Time, and bind it back in another text form.
		read = "CAST(" + clock + " AS TEXT)"
	}
	query := "SELECT " + key + ", " + read + " FROM " + d.Quote(q.Table) +
		" WHERE " + where + " ORDER BY " + clock + " LIMIT " + strconv.Itoa(q.Limit)
	rows, err := db.QueryContext(ctx, query, a.list...)
	if err != nil {
		return nil, nil, fmt.Errorf("select due keys of %s: %w", q.Table, err)
	}
	defer rows.Close()
	var keys []any
	var last any
	for rows.Next() {
		var k any
		if err := rows.Scan(&k, &last); err != nil {
			return nil, nil, fmt.Errorf("select due keys of %s: %w", q.Table, err)
		}
		keys = append(keys, NormalizeKey(k))
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("select due keys of %s: %w", q.Table, err)
	}
	if b, ok := last.([]byte); ok {
		last = string(b) // the driver may reuse the buffer
	}
	return keys, last, nil
}

func orUTC(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}
