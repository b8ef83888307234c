// Package requests is the data-subject request workflow (SPEC section 3):
// intake, verification of the requester, fulfilment through the engine's
// Export or Erase, closure, due dates and the full history of each request,
// kept in the target database (lethe_requests, lethe_request_events).
//
// A request moves received -> verified -> in_progress -> completed (->
// closed), or ends failed or rejected. Nothing runs before verification.
// Every change of status is written in one transaction with the event that
// records it, so the history never misses a step and never claims one that
// did not happen.
//
// An accepted erasure survives the process: it is marked in_progress and
// committed before any row is touched, so a crash leaves it in_progress,
// and Resume erases again (the engine's erasure is idempotent and records
// only what it newly changes) and completes it.
//
// The requester's text is personal data of the requester. It is kept in
// lethe_requests only: never in the ledger, in events or in logs.
package requests
