package dialect

import (
	"sort"
	"strconv"
	"strings"
)

// Schema is the tables of the live database, as introspected.
type Schema struct {
	Tables []*Table
	// FoldTables and FoldColumns say whether the database matches table and
	// column names without regard to case (SQLite; MySQL columns, and
	// MySQL tables where lower_case_table_names is set).
	FoldTables  bool
	FoldColumns bool
	// FoldUnquoted says unquoted names fold to lower case (PostgreSQL):
	// a policy naming Users means the table users.
	FoldUnquoted bool
	// TextClocks says text columns can serve as clocks (SQLite, where
	// applications store ISO-8601 text); elsewhere a clock has a time type.
	TextClocks bool

	named map[string]*Table // by exact name, as introspection builds it
}

// AddColumn appends a column to the table of exactly that name, adding the
// table when it is first named: introspection reads columns table by
// table, in order.
func (s *Schema) AddColumn(table string, col *Column) {
	t := s.Named(table)
	if t == nil {
		t = &Table{Name: table}
		if s.named == nil {
			s.named = map[string]*Table{}
		}
		s.named[table] = t
		s.Tables = append(s.Tables, t)
	}
	t.Columns = append(t.Columns, col)
}

// Named returns the table of exactly that name, or nil. Policy names are
// resolved with Table, by the database's rules for case.
func (s *Schema) Named(name string) *Table {
	if t, ok := s.named[name]; ok {
		return t
	}
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Table is one table of the schema.
type Table struct {
	Name        string
	Columns     []*Column
	PrimaryKey  []string
	ForeignKeys []ForeignKey
	// Indexes are the table's indexes on plain columns (the primary key's
	// included where the database keeps one). nil when the dialect did not
	// read them, as opposed to empty: none.
	Indexes     []Index
	foldColumns bool
	foldLower   bool
}

// Column is one column of a table.
type Column struct {
	Name      string
	Type      string // as the database names it, lower case: integer, varchar, timestamp with time zone
	Nullable  bool
	MaxLength int // characters, for bounded text types; 0 when unbounded
}

// Index is one index of a table, its columns in index order.
type Index struct {
	Name    string
	Columns []string
	Unique  bool
}

// Leads reports whether some index of the table, or its primary key,
// starts with the columns given, in that order: whether a lookup by them
// can use an index.
func (t *Table) Leads(columns ...string) bool {
	starts := func(have []string) bool {
		if len(have) < len(columns) {
			return false
		}
		for i, c := range columns {
			if !strings.EqualFold(have[i], c) {
				return false
			}
		}
		return true
	}
	if starts(t.PrimaryKey) {
		return true
	}
	for _, ix := range t.Indexes {
		if starts(ix.Columns) {
			return true
		}
	}
	return false
}

// ForeignKey is one foreign key constraint of a table.
type ForeignKey struct {
	Columns    []string
	RefTable   string
	RefColumns []string
}

// Table returns the table a policy's name means, and whether it exists.
// An exact match wins; otherwise the database's own rule for case applies.
func (s *Schema) Table(name string) (*Table, bool) {
	for _, t := range s.Tables {
		if t.Name == name {
			return t, true
		}
	}
	for _, t := range s.Tables {
		if (s.FoldTables && strings.EqualFold(t.Name, name)) || (s.FoldUnquoted && t.Name == strings.ToLower(name)) {
			return t, true
		}
	}
	return nil, false
}

// NearTable returns a table whose name differs from name only in case, for
// a message, or "".
func (s *Schema) NearTable(name string) string {
	for _, t := range s.Tables {
		if strings.EqualFold(t.Name, name) {
			return t.Name
		}
	}
	return ""
}

// Column returns the column a policy's name means, by the same rules as
// Schema.Table.
func (t *Table) Column(name string) (*Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	for _, c := range t.Columns {
		if (t.foldColumns && strings.EqualFold(c.Name, name)) || (t.foldLower && c.Name == strings.ToLower(name)) {
			return c, true
		}
	}
	return nil, false
}

// NearColumn returns a column whose name differs from name only in case,
// for a message, or "".
func (t *Table) NearColumn(name string) string {
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c.Name
		}
	}
	return ""
}

// ColumnNames returns the names of the table's columns in order.
func (t *Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Finish orders the tables by name, so introspection is deterministic, and
// hands the schema's rules for case to every table. Introspect calls it
// once the tables are read.
func (s *Schema) Finish() *Schema {
	sort.Slice(s.Tables, func(i, j int) bool { return s.Tables[i].Name < s.Tables[j].Name })
	for _, t := range s.Tables {
		t.foldColumns, t.foldLower = s.FoldColumns, s.FoldUnquoted
	}
	return s
}

// ParseType splits a declared type such as "VARCHAR(20)" into its lower
// case base name and its length in characters (0 when it has none).
func ParseType(declared string) (base string, length int) {
	t := strings.ToLower(strings.TrimSpace(declared))
	open := strings.IndexByte(t, '(')
	if open < 0 {
		return t, 0
	}
	base = strings.TrimSpace(t[:open])
	inner := t[open+1:]
	if end := strings.IndexAny(inner, ",)"); end >= 0 {
		inner = inner[:end]
	}
	if n, err := strconv.Atoi(strings.TrimSpace(inner)); err == nil && isText(base) {
		length = n
	}
	return base, length
}

func isText(base string) bool {
	return strings.Contains(base, "char") || strings.Contains(base, "text") || strings.Contains(base, "clob")
}

// Column type families, by the names the three databases give their types.

// IsInteger reports an integer type (integer, bigint, int(11), serial ...).
func (c *Column) IsInteger() bool {
	return strings.Contains(c.Type, "int") || c.Type == "bigserial" || c.Type == "serial"
}

// IsText reports a type that holds text (SQLite's untyped columns too).
func (c *Column) IsText() bool {
	t := c.Type
	return strings.Contains(t, "char") || strings.Contains(t, "text") || strings.Contains(t, "clob") ||
		t == "" || t == "json" || t == "jsonb" || t == "citext"
}

// IsNativeTime reports a date or time type proper.
func (c *Column) IsNativeTime() bool {
	return strings.Contains(c.Type, "time") || strings.Contains(c.Type, "date")
}

// HoldsTime reports whether the column can serve as a clock: a time type,
// or text where the schema allows text clocks (SQLite, where applications
// store ISO-8601 text in TEXT, TIMESTAMP or DATETIME columns alike).
func (s *Schema) HoldsTime(c *Column) bool {
	return c.IsNativeTime() || (s.TextClocks && c.IsText())
}
