// Package discover drafts a policy from a live database: it reads the
// tables, columns, keys and foreign keys, recognises the tables of people
// (subjects), links the other tables to them (owners), recognises personal
// columns by their names and by a small sample of their values, and
// proposes masks, lifecycle stages and retention rules. The result is YAML
// that policy.Load and policy.Bind accept against the same database, with
// a comment on every guess saying why it was made, for a person to review.
//
// The package must never change the database: it runs introspection and
// SELECT statements only, each of them reading at most Options.Sample
// values of one column, with identifiers quoted by the dialect and nothing
// from outside spliced into the SQL. It runs no transaction (a SQLite
// transaction would take the write lock). Sampled values are only
// counted: they are never printed, logged or written into the draft.
package discover
