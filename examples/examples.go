// Package examples holds the policies users can copy, embedded so that the
// lethe binary can write them out (lethe demo writes saas.yaml beside the
// demo database).
package examples

import _ "embed" // for go:embed

// SaaS is saas.yaml, the policy of SPEC section 1a for a multi-tenant SaaS
// application: the policy the demo database (package demo) is built to fit.
//
//go:embed saas.yaml
var SaaS []byte
