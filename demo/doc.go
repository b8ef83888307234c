// Package demo builds the database of a fictitious multi-tenant SaaS
// application, the one examples/saas.yaml describes: its schema (Schema,
// CreateSchema) and a realistic population (Populate) of workspaces,
// organisations, users, transactions, survey participants and answers,
// contacts and their identity events, audit logs, support tickets, webhook
// secrets, invitations and sessions, dated on both sides of every cutoff the
// policy sets, so that `lethe demo`, tests and benchmarks have something to
// plan, sweep and erase.
//
// The package only ever writes to the database it is given: it creates the
// tables of Schema and inserts rows, all values bound as parameters. It
// never drops, updates or deletes anything, opens no other connection, and
// never reads the wall clock: every date is relative to Options.Now, and
// the same Options give the same rows on every dialect.
package demo
