// Package lethe holds Lethe's domain: the policy (subjects, datasets,
// lifecycle stages, retention rules), calendar periods and their cutoffs,
// masks, and the error type every layer reports with.
//
// The package has no dependencies outside the standard library and never
// touches a database or the wall clock: everything that needs a time takes
// it as an argument, so every date rule can be tested at any date.
// Loading a policy from YAML lives in package policy, databases in their own
// packages (sqlite, postgres, mysql) behind the interfaces of package dialect.
package lethe
