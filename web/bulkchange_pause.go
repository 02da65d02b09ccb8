package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
)

// Pause and resume, on the request's page and in the API. The roles are cancel's: anyone who
// may see the request (its tenant's manager, an admin) may pause it; the store scopes it.

// pauseBulkChange pauses a request from its page.
func (s *Server) pauseBulkChange(c echo.Context) error {
	id, err := bulkIDParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if err := s.store.PauseBulkChange(c.Request().Context(), scopeOf(u), id, u.Email, c.RealIP()); err != nil {
		return backToRequest(c, id, err)
	}
	if err := setFlash(c, "ok", pauseMessage); err != nil {
		return err
	}
	return redirect(c, paths.BulkChange(id))
}

// resumeBulkChange resumes a paused request from its page.
func (s *Server) resumeBulkChange(c echo.Context) error {
	id, err := bulkIDParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	now, err := s.store.ResumeBulkChange(c.Request().Context(), scopeOf(u), id, u.Email, c.RealIP())
	if err != nil {
		return backToRequest(c, id, err)
	}
	if err := setFlash(c, "ok", resumeMessage(now)); err != nil {
		return err
	}
	return redirect(c, paths.BulkChange(id))
}

const pauseMessage = "Paused: rows not yet sent wait until you resume; rows already with the carrier finish as it decides."

func resumeMessage(now change.BatchStatus) string {
	if now == change.BatchScheduled {
		return "Resumed: the request is scheduled again and starts at its start time."
	}
	return "Resumed: the rows that waited are being sent."
}

func bulkIDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	return id, nil
}

// apiPauseBulkChange is POST /api/v1/bulk-changes/{id}/pause.
//
//	200 paused · 404 no such request here · 409 finished or paused already (the message says)
func (s *Server) apiPauseBulkChange(c echo.Context) error {
	id, err := bulkIDParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if err := s.store.PauseBulkChange(c.Request().Context(), scopeOf(u), id, u.Email, c.RealIP()); err != nil {
		return err
	}
	return s.apiScheduleAnswer(c, id, pauseMessage)
}

// apiResumeBulkChange is POST /api/v1/bulk-changes/{id}/resume.
//
//	200 resumed (SCHEDULED again before its start time, else PROCESSING) · 404 · 409 not paused
func (s *Server) apiResumeBulkChange(c echo.Context) error {
	id, err := bulkIDParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	now, err := s.store.ResumeBulkChange(c.Request().Context(), scopeOf(u), id, u.Email, c.RealIP())
	if err != nil {
		return err
	}
	return s.apiScheduleAnswer(c, id, resumeMessage(now))
}

func (s *Server) apiScheduleAnswer(c echo.Context, id int64, msg string) error {
	b, err := s.store.BulkChange(c.Request().Context(), scopeOf(currentUser(c)), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiPaused{Message: msg, BulkChange: apiBulkChangeOf(*b)})
}
