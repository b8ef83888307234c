// Package scheduler runs a policy's rules on their schedules inside `lethe
// serve`, and finishes data-subject erasures that a dead process left
// half done.
//
// Several replicas may run against one database. Each scheduled run is
// claimed through a lease row in lethe_leases, keyed by the rule and the
// scheduled time it stands for, so it happens once however many replicas
// see it due. The holder renews the lease while it runs; a replica that
// dies stops renewing, and once the lease expires another takes the run
// over. Sweeps are re-runnable: the run is repeated with the same "as of"
// time, finds only what is still due, and the ledger counts what each
// attempt changed, in the transactions that changed it, so the attempts
// add up to one uninterrupted run. The taker-over seals the dead
// holder's ledger entries, so the chain shows them.
//
// A run stands for the latest scheduled time at or before now: a replica
// that starts after being down over a scheduled time runs it once, and
// several missed times collapse into the latest one (a sweep at a later
// time does everything an earlier one would have).
//
// The package takes its clock from its caller and never sleeps for a
// schedule's period: tests drive it with Tick at any simulated date. It
// must never decide what a sweep does (that is the engine's) nor hold a
// database lock while a sweep runs.
package scheduler
