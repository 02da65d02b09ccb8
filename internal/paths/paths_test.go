package paths_test

import (
	"testing"

	"github.com/idswap/idswap/internal/paths"
)

func TestBuilders(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{paths.BulkChange(7), "/bulk-changes/7"},
		{paths.BulkChangeRowLog(7, 12), "/bulk-changes/7/rows/12/log"},
		{paths.BulkChangeFiltered(7, "API_FAILED"), "/bulk-changes/7?status=API_FAILED"},
		{paths.RetryFailedRows(3), "/bulk-changes/new?retry=3"},
		{paths.DeviceVia(5, "8914 00"), "/devices/5?via=8914+00"},
		{paths.LookupDevice("a&b"), "/devices/lookup?id=a%26b"},
		{paths.Absolute("https://x.example//", paths.BulkChange(1)), "https://x.example/bulk-changes/1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
