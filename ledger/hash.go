package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// ZeroHash is the prev_hash of the first entry of a chain.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// encodingVersion opens the canonical encoding, so a later change of the
// encoding can be told from a changed entry.
const encodingVersion = "lethe-ledger/1"

// hashTimeLayout is how times stand in the canonical encoding: fixed
// width, so a time has one spelling only.
const hashTimeLayout = "2006-01-02T15:04:05.000000Z"

// Hash computes the canonical hash of an entry (see the package comment).
// ID and Hash itself are not part of it.
func Hash(e Entry) string {
	sum := sha256.Sum256(canonical(e))
	return hex.EncodeToString(sum[:])
}

func canonical(e Entry) []byte {
	fields := []any{
		encodingVersion,
		e.Seq,
		e.RunID,
		hashTime(&e.At),
		e.Tenant,
		e.Dataset,
		e.Reason,
		e.SubjectKey,
		hashTime(e.Cutoff),
		e.Actor,
		e.Rows,
		e.Held,
		e.Note,
		e.Detail,
		hashTime(e.SealedAt),
		e.PrevHash,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		// Strings, integers and nil always encode.
		panic("ledger: canonical encoding: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func hashTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return normTime(*t).Format(hashTimeLayout)
}

// normTime brings a time to what every database keeps: UTC, microseconds.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
