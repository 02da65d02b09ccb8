package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/store"
)

// Helpers for the change request tests: demo identifiers, multipart posts, and reading pages.

// activeDevices returns n active devices of a demo tenant, as seeded.
func (e *env) activeDevices(tenant string, n int) []demo.Device {
	e.t.Helper()
	var out []demo.Device
	for _, d := range e.world.Devices {
		if d.TenantName == tenant && d.StatusID == store.DeviceStatusActive && len(out) < n {
			out = append(out, d)
		}
	}
	if len(out) < n {
		e.t.Fatalf("only %d active devices in %s", len(out), tenant)
	}
	return out
}

// device returns the first seeded device of a tenant with a status.
func (e *env) device(tenant string, status int) demo.Device {
	for _, d := range e.world.Devices {
		if d.TenantName == tenant && d.StatusID == status {
			return d
		}
	}
	e.t.Fatalf("no device of %s with status %d", tenant, status)
	return demo.Device{}
}

// spareIMEI returns the n-th unused device of a network type.
func (e *env) spareIMEI(network string, n int) string {
	for _, d := range e.world.Carrier.Devices {
		if d.NetworkType == network {
			if n == 0 {
				return d.IMEI
			}
			n--
		}
	}
	e.t.Fatalf("no spare %s device", network)
	return ""
}

// badCheckDigit changes the last digit of an identifier so that its check fails.
func badCheckDigit(id string) string {
	last := id[len(id)-1]
	return id[:len(id)-1] + string(rune('0'+(last-'0'+1)%10))
}

// changeForm is a filled request form for the env's provider.
func (e *env) changeForm(typ change.Type, rows ...string) url.Values {
	return url.Values{"provider": {fmt.Sprint(e.provider)}, "type": {string(typ)}, "reason": {"SIMs failed in the field"},
		"rows": {strings.Join(rows, "\n")}, "idem": {"form-" + e.t.Name()}}
}

// postMultipart posts a multipart form, as the request form does, with the client's CSRF token
// unless the form has its own, and an optional file.
func (c *client) postMultipart(path string, form url.Values, fileField, fileName string, file []byte, headers ...string) (*http.Response, string) {
	c.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if fileField != "" {
		fw, _ := w.CreateFormFile(fileField, fileName)
		_, _ = fw.Write(file)
	}
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func mustDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// text is the whitespace-collapsed text of the first match.
func text(doc *goquery.Document, sel string) string {
	return strings.Join(strings.Fields(doc.Find(sel).First().Text()), " ")
}

// countBulkChanges counts the stored requests of every tenant.
func (e *env) countBulkChanges() int {
	e.t.Helper()
	_, n, err := e.db.BulkChanges(context.Background(), store.BulkChangeFilter{AllTenants: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// user finds a demo user.
func (e *env) user(email string) *store.User {
	e.t.Helper()
	u, err := e.db.UserByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// failRows moves every row of a bulk change to a failed status. The engine that does this is
// built elsewhere; the test writes the status into the same SQLite file.
func (e *env) failRows(bulkID int64, status change.Status) {
	e.t.Helper()
	conn, err := sql.Open("sqlite", e.dbPath)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`UPDATE M2M_DeviceChange SET Status = ? WHERE BulkChangeId = ?`, string(status), bulkID); err != nil {
		e.t.Fatal(err)
	}
}
