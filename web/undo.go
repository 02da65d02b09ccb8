package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// Undo of a finished request (request.Service.PlanUndo and SubmitUndo): a confirmation page
// that lists what would go back and what cannot, and the form that submits it. Anyone who may
// create a request for the tenant may undo one of its requests: the route is open to every
// signed-in user and scopeOf keeps a manager to their own tenant, as for a new request.

// How many rows of each list the confirmation page shows; the counts cover every row.
const (
	shownUndoRows    = 100
	shownUndoRefused = 200
)

// undoPage shows what an undo of the request would do now. A request that cannot be undone at
// all (still running, nothing changed, an undo already open) goes back to its page with the
// reason.
func (s *Server) undoPage(c echo.Context) error {
	id, err := bulkChangeParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	p, err := s.requests.PlanUndo(c.Request().Context(), scopeOf(u), id)
	if err != nil {
		return backToRequest(c, id, err)
	}
	return render(c, http.StatusOK, views.UndoPage(undoModel(c, p, newToken(), "")))
}

// undoBulkChange submits the undo the person confirmed. If what can be undone changed since
// the page was shown, nothing is stored and the page comes back (409) with the new lists.
func (s *Server) undoBulkChange(c echo.Context) error {
	id, err := bulkChangeParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	key := c.FormValue("key")
	sub, p, err := s.requests.SubmitUndo(c.Request().Context(), scopeOf(u), id, c.FormValue("confirm"),
		request.Submitter{User: u, IdempotencyKey: key, RemoteAddr: c.RealIP()})
	switch {
	case err != nil && p != nil && !errors.Is(err, request.ErrNotReady):
		return render(c, http.StatusConflict, views.UndoPage(undoModel(c, p, key, apperr.MessageOf(err))))
	case err != nil:
		return backToRequest(c, id, err)
	}
	if err := setFlash(c, "ok", fmt.Sprintf("Bulk change %d undoes bulk change %d; it runs like any request.", sub.ID, id)); err != nil {
		return err
	}
	return redirect(c, paths.BulkChange(sub.ID))
}

func bulkChangeParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	return id, nil
}

// undoModel is the confirmation page of a plan.
func undoModel(c echo.Context, p *request.UndoPlan, key, problem string) views.UndoPageModel {
	b := p.Original
	m := views.UndoPageModel{Layout: layout(c, fmt.Sprintf("Undo bulk change #%d", b.ID), "changes"), ID: b.ID,
		RequestURL: paths.BulkChange(b.ID), Type: b.Type.Label(), Error: problem, Undoable: len(p.Rows),
		Action: paths.BulkChangeUndo(b.ID), Key: key, Confirm: p.Key}
	for i, r := range p.Rows {
		if i == shownUndoRows {
			m.MoreRows = len(p.Rows) - i
			break
		}
		v := views.UndoRowView{Number: r.Number, MDN: r.MSISDN, Plan: "keeps its plan"}
		if r.ToICCID != "" {
			v.Changes = append(v.Changes, views.IdentChange{Kind: "ICCID", Old: r.FromICCID, New: r.ToICCID})
		}
		if r.ToIMEI != "" {
			v.Changes = append(v.Changes, views.IdentChange{Kind: "IMEI", Old: r.FromIMEI, New: r.ToIMEI})
		}
		if r.Plan != "" {
			v.Plan = "back to " + r.Plan
		}
		m.Rows = append(m.Rows, v)
	}
	for i, r := range p.Refused {
		if i == shownUndoRefused {
			m.MoreRefused = len(p.Refused) - i
			break
		}
		m.Refused = append(m.Refused, views.UndoRefusedView{Number: r.Number, Line: rowLine(r.RowIdentifiers), Reason: r.Reason})
	}
	return m
}

// rowLine names a row's line by what it changed: "ICCID a → b", and its MDN.
func rowLine(r store.RowIdentifiers) string {
	var parts []string
	if r.NewICCID != "" {
		parts = append(parts, "ICCID "+r.ICCID+" → "+r.NewICCID)
	}
	if r.NewIMEI != "" {
		parts = append(parts, "IMEI "+r.IMEI+" → "+r.NewIMEI)
	}
	if r.MSISDN != "" {
		parts = append(parts, "MDN "+r.MSISDN)
	}
	return strings.Join(parts, ", ")
}

// undoLinks are the links between a request and its undos, for its page.
func undoLinks(b *store.BulkChange) (*views.Link, []views.Link) {
	var of *views.Link
	if b.UndoOf != nil {
		of = &views.Link{Text: fmt.Sprintf("#%d", *b.UndoOf), URL: paths.BulkChange(*b.UndoOf)}
	}
	var by []views.Link
	for _, id := range b.UndoneBy {
		by = append(by, views.Link{Text: fmt.Sprintf("#%d", id), URL: paths.BulkChange(id)})
	}
	return of, by
}

// apiUndoRequest is the body of POST /api/v1/bulk-changes/{id}/undo.
type apiUndoRequest struct {
	DryRun bool `json:"dry_run"`
	// Confirm, when given, is the confirm of a dry run: the undo is stored only if exactly
	// those rows can be undone now.
	Confirm string `json:"confirm"`
}

// apiUndoRow is a row an undo puts back.
type apiUndoRow struct {
	Row         int    `json:"row"`
	DeviceID    int64  `json:"device_id"`
	MDN         string `json:"mdn"`
	FromICCID   string `json:"from_iccid"`
	ToICCID     string `json:"to_iccid"`
	FromIMEI    string `json:"from_imei"`
	ToIMEI      string `json:"to_imei"`
	ServicePlan string `json:"service_plan"`
}

// apiNotUndone is a row an undo leaves alone, and why.
type apiNotUndone struct {
	Row      int    `json:"row"`
	ICCID    string `json:"iccid"`
	IMEI     string `json:"imei"`
	MDN      string `json:"mdn"`
	NewICCID string `json:"new_iccid"`
	NewIMEI  string `json:"new_imei"`
	Reason   string `json:"reason"`
}

// apiUndoPlan is the 200 answer of a dry run.
type apiUndoPlan struct {
	BulkChangeID int64          `json:"bulk_change_id"`
	DryRun       bool           `json:"dry_run"`
	Confirm      string         `json:"confirm"`
	Rows         []apiUndoRow   `json:"rows"`
	NotUndone    []apiNotUndone `json:"not_undone"`
}

// apiUndone is the 201 answer (200 when an Idempotency-Key was replayed: not_undone is then
// empty, the lists being those of the first call).
type apiUndone struct {
	apiCreated
	UndoOf    int64          `json:"undo_of"`
	NotUndone []apiNotUndone `json:"not_undone"`
}

// apiUndoRefused is the 409 answer that comes with the lists: nothing could be undone, or not
// exactly what the confirm named.
type apiUndoRefused struct {
	apiError
	Rows      []apiUndoRow   `json:"rows"`
	NotUndone []apiNotUndone `json:"not_undone"`
}

func apiUndoLists(p *request.UndoPlan) ([]apiUndoRow, []apiNotUndone) {
	rows, refused := []apiUndoRow{}, []apiNotUndone{}
	for _, r := range p.Rows {
		rows = append(rows, apiUndoRow{Row: r.Number, DeviceID: r.DeviceID, MDN: r.MSISDN, FromICCID: r.FromICCID, ToICCID: r.ToICCID,
			FromIMEI: r.FromIMEI, ToIMEI: r.ToIMEI, ServicePlan: r.Plan})
	}
	for _, r := range p.Refused {
		refused = append(refused, apiNotUndone{Row: r.Number, ICCID: r.ICCID, IMEI: r.IMEI, MDN: r.MSISDN, NewICCID: r.NewICCID,
			NewIMEI: r.NewIMEI, Reason: r.Reason})
	}
	return rows, refused
}

// apiUndoBulkChange is POST /api/v1/bulk-changes/{id}/undo: the portal's Undo.
//
//	201 created (with the rows left alone and why) · 200 dry run, or a replayed Idempotency-Key
//	404 no such request here · 409 still running, nothing changed, an undo already open,
//	nothing that can be undone, or not what confirm named · 503 the carrier could not be asked
func (s *Server) apiUndoBulkChange(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := bulkChangeParam(c)
	if err != nil {
		return err
	}
	var in apiUndoRequest
	if msg := decodeStrict(c.Request().Body, &in); msg != "" {
		return c.JSON(http.StatusBadRequest, apiError{Error: msg, Code: apperr.Invalid})
	}
	u := currentUser(c)
	if in.DryRun {
		p, err := s.requests.PlanUndo(ctx, scopeOf(u), id)
		if err != nil {
			return err
		}
		rows, refused := apiUndoLists(p)
		return c.JSON(http.StatusOK, apiUndoPlan{BulkChangeID: id, DryRun: true, Confirm: p.Key, Rows: rows, NotUndone: refused})
	}
	sub, p, err := s.requests.SubmitUndo(ctx, scopeOf(u), id, in.Confirm,
		request.Submitter{User: u, RemoteAddr: c.RealIP(), IdempotencyKey: c.Request().Header.Get("Idempotency-Key")})
	if err != nil && p != nil && apperr.Is(err, apperr.Conflict) {
		rows, refused := apiUndoLists(p)
		return c.JSON(http.StatusConflict, apiUndoRefused{apiError: apiError{Error: apperr.MessageOf(err), Code: apperr.Conflict},
			Rows: rows, NotUndone: refused})
	}
	if err != nil {
		return err
	}
	b, err := s.store.BulkChange(ctx, scopeOf(u), sub.ID)
	if err != nil {
		return err
	}
	status, refused := http.StatusCreated, []apiNotUndone{}
	if !sub.Created {
		status = http.StatusOK
	}
	if p != nil {
		_, refused = apiUndoLists(p)
	}
	if b.UndoOf != nil { // a replayed key names the request its undo was made for
		id = *b.UndoOf
	}
	c.Response().Header().Set(echo.HeaderLocation, paths.APIBulkChange(b.ID))
	return c.JSON(status, apiUndone{apiCreated: apiCreated{ID: b.ID, Status: b.Status, Rows: b.Counts.Total, Created: sub.Created, Priority: b.Priority,
		URL: paths.APIBulkChange(b.ID), PortalURL: paths.BulkChange(b.ID)}, UndoOf: id, NotUndone: refused})
}
