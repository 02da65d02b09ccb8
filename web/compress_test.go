package web_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/static"
)

// rawGet asks for a path as a browser does, with or without Accept-Encoding: gzip, and returns
// the answer and its body as sent (Go's own transparent decompression is off).
func rawGet(t *testing.T, c *client, path string, gz bool) (*http.Response, []byte) {
	t.Helper()
	hc := *c.http
	hc.Transport = &http.Transport{DisableCompression: true}
	req, _ := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("broken gzip: %v", err)
	}
	return out
}

// TestAnswersAreCompressedWhenAsked: pages, static files and CSV exports come gzipped to a
// client that accepts gzip, the same bytes once unpacked, and plain to one that does not.
func TestAnswersAreCompressedWhenAsked(t *testing.T) {
	e := newEnv(t)
	c := e.signIn(demo.AdminEmail)
	id, _ := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	for _, tc := range []struct{ name, path, typ string }{
		{"the devices page", "/devices", "text/html"},
		{"htmx", static.Path("htmx-2.0.11.min.js"), "javascript"},
		{"the stylesheet", static.Path("app.css"), "text/css"},
		{"a request's rows as CSV (streamed)", fmt.Sprintf("/bulk-changes/%d/rows.csv", id), "text/csv"},
	} {
		plainRes, plain := rawGet(t, c, tc.path, false)
		gzRes, packed := rawGet(t, c, tc.path, true)
		if plainRes.StatusCode != 200 || gzRes.StatusCode != 200 {
			t.Fatalf("%s: status %d and %d", tc.name, plainRes.StatusCode, gzRes.StatusCode)
		}
		if enc := plainRes.Header.Get("Content-Encoding"); enc != "" {
			t.Errorf("%s: Content-Encoding %q without Accept-Encoding", tc.name, enc)
		}
		if enc := gzRes.Header.Get("Content-Encoding"); enc != "gzip" {
			t.Errorf("%s: Content-Encoding %q with Accept-Encoding: gzip", tc.name, enc)
			continue
		}
		if !strings.Contains(gzRes.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q: caches would hand gzip to clients that cannot read it", tc.name, gzRes.Header.Get("Vary"))
		}
		if !strings.Contains(gzRes.Header.Get("Content-Type"), tc.typ) {
			t.Errorf("%s: Content-Type %q", tc.name, gzRes.Header.Get("Content-Type"))
		}
		unpacked := gunzip(t, packed)
		// A page carries a fresh token per answer only in its CSRF field, which is per session:
		// the two answers are the same document.
		if !bytes.Equal(unpacked, plain) {
			t.Errorf("%s: the gzipped answer unpacks to %d bytes, the plain one is %d", tc.name, len(unpacked), len(plain))
		}
		if len(packed) >= len(plain) {
			t.Errorf("%s: %d bytes gzipped, %d plain", tc.name, len(packed), len(plain))
		}
		t.Logf("%s: %d bytes plain, %d gzipped (%.0f%%)", tc.name, len(plain), len(packed), 100*float64(len(packed))/float64(len(plain)))
	}

	// Static files keep their year-long cache under their hashed names.
	res, _ := rawGet(t, c, static.Path("htmx-2.0.11.min.js"), true)
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("htmx Cache-Control %q", cc)
	}
	// A small answer is not worth compressing.
	res, body := rawGet(t, c, "/healthz", true)
	if res.Header.Get("Content-Encoding") != "" || len(body) >= 1024 {
		t.Errorf("/healthz (%d bytes): Content-Encoding %q", len(body), res.Header.Get("Content-Encoding"))
	}
}
