// Package redact implements Lethe's `redact` mask: it finds personal data
// in free text (support ticket bodies, survey comments, notes) and replaces
// each finding with a label such as "[email]" or "[phone]".
//
// It recognises e-mail addresses, phone numbers, payment card numbers
// (Luhn-checked), IBANs (mod-97-checked, with per-country lengths), IPv4 and
// IPv6 addresses, and the subject's own names, which the caller passes in
// because only the caller knows whose record is being anonymized.
//
// Every recogniser prefers to miss an odd format over labelling numbers that
// are not personal data: order numbers, dates, versions, amounts and build
// IDs must come through untouched, or redacted tickets lose the facts that
// made them worth keeping. Where two findings overlap, the longer one wins,
// and strings that are shaped like a card or an IBAN but fail their check
// still shield their digits from the phone recogniser.
//
// The package must never panic, whatever the input (invalid UTF-8
// included), must run in time roughly linear in the input, must not label
// its own labels a second time, and must never send the text anywhere: it
// is pure computation over a string. It uses only the standard library.
package redact
