package policy

import _ "embed"

// Schema is the JSON Schema of the policy file (draft 2020-12), shipped in
// the binary so `lethe policy schema` can hand it to editors.
//
//go:embed schema.json
var Schema []byte

// Starter is the commented policy `lethe init` writes.
//
//go:embed starter.yaml
var Starter []byte
