package web

import (
	_ "embed"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

// OpenAPI is the OpenAPI 3.1 document of /api/v1, written by hand and served at
// /api/v1/openapi.json. The API tests validate every request they send and every answer they
// get against it (openapi_test.go), so it cannot drift from what the API does.
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/json", OpenAPI)
}

// Route is one route of the server: a method and echo's path pattern (":id" for a parameter).
type Route struct{ Method, Path string }

// Routes lists every route the server answers, sorted, so tests can hold the OpenAPI document
// to the API's route table.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.e.Routes() {
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}
