package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// A component that fails after writing part of its page must not reach the browser as that
// part with 200: the handler's error becomes a logged 500 with the error page.
func TestRenderErrorIsA500AndALogLine(t *testing.T) {
	var logs strings.Builder
	s := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	failing := templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, "<p>half a page"); err != nil {
			return err
		}
		return errors.New("template exploded")
	})
	s.e.GET("/test/failing", func(c echo.Context) error { return render(c, http.StatusOK, failing) })

	for name, htmx := range map[string]bool{"page": false, "htmx fragment": true} {
		t.Run(name, func(t *testing.T) {
			logs.Reset()
			req := httptest.NewRequest(http.MethodGet, "/test/failing", nil)
			if htmx {
				req.Header.Set("HX-Request", "true")
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status %d, want 500", rec.Code)
			}
			if strings.Contains(rec.Body.String(), "half a page") {
				t.Errorf("the failed component's partial output was sent: %q", rec.Body.String())
			}
			if !strings.Contains(logs.String(), "template exploded") || !strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("no error log line with the cause; log: %q", logs.String())
			}
		})
	}
}
