package dialect

import (
	"context"
	"strconv"
	"strings"

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
