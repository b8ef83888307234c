package dialecttest

import "testing"

func TestConformance(t *testing.T) {
	ForEach(t, func(t *testing.T, h Harness) { Run(t, h) })
}
