// Package engine plans and runs Lethe's work against one database: the
// lifecycle stages of subjects (deactivate, anonymize, delete), retention
// rules, soft-delete purges, legal holds and tenant settings, writing the
// purge ledger as it goes.
//
// Every change happens in short batches (pages of keys, or stretches of a
// table walked in stored order for large purges); each batch changes its rows
// and adds their count to the run's ledger entry in one transaction, so a
// crash leaves every row either untouched or changed and recorded. The
// engine never reads the wall clock: the run time comes in with the options.
// Statements are built from policy identifiers bound to the live schema and
// from bound values only.
package engine
