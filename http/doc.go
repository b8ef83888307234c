// Package lethehttp is Lethe's HTTP API (SPEC section 5): JSON under /v1,
// described by an OpenAPI 3.1 document at /v1/openapi.json, with bearer
// tokens that carry a role and, usually, one tenant; plus /healthz,
// /readyz and Prometheus metrics at /metrics.
//
// The handlers are declared with huma (code first): every operation's
// input and output are Go types, and the OpenAPI document is generated
// from those same types when the server starts, so it cannot drift from
// what the handlers accept and answer. huma runs on net/http's ServeMux;
// the package adds no router of its own.
//
// The package translates and checks, and nothing more: what an operation
// does is the engine's, the request store's or the token store's. It must
// never let a tenant-scoped token see another tenant: such a request is
// answered 404, as if the tenant did not exist, so tenant names do not
// leak. It never writes personal data to its logs (no query strings, no
// bodies), and a 500 never shows the error behind it: that is logged.
package lethehttp
