// Package policy loads a Lethe policy file (YAML) into a lethe.Policy and
// checks it: the shape (unknown keys, types, masks, periods), the rules
// across settings (bounds, the order of stages, owners), and, given the
// live schema, every table and column it names.
//
// Every problem is reported with the file, line and column it comes from
// and what to write instead. The package never connects to a database:
// callers introspect the schema through a dialect and pass it in.
package policy
