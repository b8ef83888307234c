// Package tokens keeps the bearer tokens of Lethe's HTTP API in the target
// database (lethe_tokens): who a token is (its name, recorded as the actor
// of every change it makes), what it may do (its role) and where (one
// tenant, or every tenant).
//
// A token is shown once, when it is created. The package stores only its
// SHA-256: tokens are 256 random bits, so a plain digest cannot be guessed
// back, and a lookup by digest costs one indexed read per request. It never
// logs or returns a token after Create.
package tokens
