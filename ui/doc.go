// Package ui is Lethe's admin web UI: server-rendered pages for the people
// who set retention (admins), work through data-subject requests
// (operators) and check the evidence (auditors), behind the same bearer
// tokens and the same role and tenant rules as the HTTP API.
//
// Every page reads without JavaScript; the little script there is only
// updates posture labels as a period is typed. Templates and assets are
// embedded, so the handler needs nothing on disk.
//
// It must never let a token scoped to one tenant see another tenant's
// pages (they answer 404, as for a tenant that does not exist), never
// change anything on a GET, never accept a POST without its CSRF token,
// and never show an internal error's details (they go to the log).
package ui
