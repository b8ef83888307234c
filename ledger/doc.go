// Package ledger keeps Lethe's purge ledger (SPEC section 2): one entry per
// run, tenant, dataset and stage, chained by SHA-256 so that a changed,
// removed or inserted entry shows.
//
// An entry lives in two steps. Open writes it unsealed when a piece of
// work starts (no seq, no hash); Add counts the rows of each batch inside
// the batch's own transaction, so the rows changed and the count recorded
// commit together or not at all; Seal ends it. Sealing takes the next
// sequence number from the one-row table lethe_ledger_head, locked for the
// seal, so entries are chained in the order they are sealed, whatever
// process sealed them and whatever their ids. An entry still unsealed is a
// run that crashed or is running: Verify lists it, with the rows it
// recorded, and does not call it a break in the chain.
//
// # Canonical encoding
//
// The hash of a sealed entry is the lower-case hex SHA-256 of this JSON
// array, with no spaces and no trailing newline:
//
//	["lethe-ledger/1", seq, run_id, at, tenant, dataset, reason,
//	 subject_key, cutoff, actor, rows, held, note, detail, sealed_at,
//	 prev_hash]
//
// seq, rows and held are JSON integers; every other value is a JSON
// string, except cutoff and sealed_at, which are null when absent.
//
// Times are in UTC with exactly six fractional digits
// (2024-03-01T00:00:00.000000Z): all three databases keep microseconds,
// and an entry is always hashed from the values the database gives back.
// Absent text (subject_key, note, detail) is "", never null, so a NULL
// and an empty string hash alike on every database.
//
// Strings are escaped as encoding/json escapes them with HTML escaping
// off: \" and \\; \b, \f, \n, \r, \t; other characters below U+0020 as
// \u00xx (lower-case hex); U+2028 and U+2029 as \u2028 and \u2029. Every
// other character, / < > & included, stands as itself in UTF-8. Text an
// entry holds must be valid UTF-8 without NUL bytes (Open refuses
// anything else), so the encoding never has to replace a byte.
//
// prev_hash is the hash of the entry with the previous seq, or 64 zeros
// for seq 1. The id is not hashed: the chain is ordered by seq, and ids
// may differ in a copied ledger.
//
// # Pruning
//
// Prune removes the oldest sealed entries (a prefix of the chain, never a
// hole in it) and records itself as an entry with reason ledger_pruned,
// whose detail names where the removed part ended:
// {"through_seq":S,"through_hash":H}. The first remaining entry then links
// to H instead of to an entry that is gone. Prune checks the part it
// removes first and refuses to remove a broken chain: pruning must never
// erase the evidence of a change.
//
// This package never changes a sealed entry and never deletes one except
// in Prune. It holds no personal data beyond the subject key a request
// named. The chain shows changes made without recomputing it; it does not
// stop someone with write access to the database from rewriting the whole
// chain, which is what keeping the ledger out of such hands is for.
package ledger
