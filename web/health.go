package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers as long as the process serves HTTP.
func (s *Server) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }

// readyz answers 200 only when the database is reachable and its schema is current.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	if err := s.store.CheckCurrent(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database schema is behind: run idswap migrate\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
