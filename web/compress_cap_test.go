package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// Past maxCompressors answers being gzipped at once, the next answer goes out uncompressed
// (with Vary still set) instead of taking another ~800 KB compressor: make load's flood held
// one per request in flight and peaked at hundreds of megabytes.
func TestCompressorsAreCapped(t *testing.T) {
	e := echo.New()
	e.Use(compressAtMost(1))
	body := strings.Repeat("idswap ", 1000)
	held, release := make(chan struct{}), make(chan struct{})
	e.GET("/slow", func(c echo.Context) error {
		close(held)
		<-release
		return c.String(http.StatusOK, body)
	})
	e.GET("/page", func(c echo.Context) error { return c.String(http.StatusOK, body) })
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/page"); rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("with a compressor free the page was not gzipped: %v", rec.Header())
	}
	slow := make(chan *httptest.ResponseRecorder)
	go func() { slow <- get("/slow") }()
	<-held
	rec := get("/page")
	close(release)
	if ce := rec.Header().Get("Content-Encoding"); ce != "" {
		t.Errorf("with the only compressor taken the page came as %q, want uncompressed", ce)
	}
	if rec.Body.String() != body {
		t.Errorf("the uncompressed page is %d bytes, want %d", rec.Body.Len(), len(body))
	}
	if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Encoding") {
		t.Errorf("the uncompressed page has no Vary: Accept-Encoding: %v", rec.Header())
	}
	if r := <-slow; r.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("the request holding the compressor was not gzipped: %v", r.Header())
	}
}
