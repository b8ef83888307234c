// Package dialect is what Lethe needs from a database, written once: the
// Dialect interface each database package (sqlite, postgres, mysql)
// implements, the introspected Schema, and the batched primitives the
// engine builds on (select due keys after a key, update and delete a batch
// by key).
//
// Every statement built here binds values as parameters and quotes
// identifiers through the dialect; no value is ever spliced into SQL text.
// Identifiers must come from a policy bound to the live schema
// (policy.Bind), never from a request. The conformance suite in
// dialect/dialecttest runs the same tests against every dialect.
package dialect
