package web_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
)

var update = flag.Bool("update", false, "rewrite the golden files of the API tests from what the API answers now")

// TestAPIGolden pins the JSON API's wire format: every endpoint's answer, status and body, is
// compared with testdata/api_<case>.golden.json. Times differ per run, so every non-null *_at
// value is written as "TIME". Run with -update to accept a deliberate change of the format.
func TestAPIGolden(t *testing.T) {
	e := newEnv(t)
	api := e.apiClient(demo.AcmeManager)
	acme := e.activeDevices(demo.TenantAcme, 2)
	rows := []map[string]string{{"current": acme[0].ICCID, "new_iccid": e.spareSIM(0)}, {"current": acme[1].MSISDN, "new_iccid": e.spareSIM(1)}}
	body := func(dryRun bool) string { return jsonBody(e.apiRequest(dryRun, rows...)) }

	var id int64
	for _, c := range []struct {
		name, method, path, body, token string
	}{
		{"create_dry_run", http.MethodPost, paths.APIBulkChanges, body(true), api.token},
		{"create", http.MethodPost, paths.APIBulkChanges, body(false), api.token},
		{"create_invalid", http.MethodPost, paths.APIBulkChanges, body(false), api.token},
		{"create_malformed", http.MethodPost, paths.APIBulkChanges, `{"rows": [`, api.token},
		{"list", http.MethodGet, paths.APIBulkChanges + "?status=NEW", "", api.token},
		{"get", http.MethodGet, "", "", api.token},
		{"cancel", http.MethodPost, "", "", api.token},
		{"get_cancelled", http.MethodGet, "", "", api.token},
		{"cancel_again", http.MethodPost, "", "", api.token},
		{"not_found", http.MethodGet, paths.APIBulkChange(999999), "", api.token},
		{"unauthorized", http.MethodGet, paths.APIBulkChanges, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.path
			switch c.name {
			case "get", "get_cancelled":
				path = paths.APIBulkChange(id)
			case "cancel", "cancel_again":
				path = paths.APIBulkChangeCancel(id)
			}
			req, _ := http.NewRequest(c.method, e.srv.URL+path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			res, raw := apiDo(t, req)
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatalf("%d, not JSON: %s", res.StatusCode, raw)
			}
			if c.name == "create" {
				id = int64(v.(map[string]any)["id"].(float64))
			}
			got, err := json.MarshalIndent(map[string]any{"status": res.StatusCode, "body": maskTimes(v)}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			file := filepath.Join("testdata", "api_"+c.name+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run the test with -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s changed; got:\n%s\nwant:\n%s", file, got, want)
			}
		})
	}
}

// maskTimes replaces every non-null value of a key ending in _at, which differs per run.
func maskTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.HasSuffix(k, "_at") && val != nil {
				x[k] = "TIME"
			} else {
				x[k] = maskTimes(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = maskTimes(x[i])
		}
	}
	return v
}
