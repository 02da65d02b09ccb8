package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
)

// The JSON API (/api/v1): bearer tokens instead of a session, so no CSRF. It runs the same
// checks and the same submit as the portal, through internal/request, and the same tenant
// rules: a manager's token never sees another tenant's devices or requests — they are 404.

// apiAuth signs the caller in with "Authorization: Bearer idsw_…".
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="idswap"`)
			return apperr.E(apperr.Unauthorized, "Send an API token as Authorization: Bearer <token> (idswap token create makes one).")
		}
		u, tok, err := s.auth.UserByToken(c.Request().Context(), strings.TrimSpace(token), c.RealIP())
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="idswap", error="invalid_token"`)
			return err
		}
		if tok.ReadOnly() && c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="idswap", error="insufficient_scope"`)
			return apperr.E(apperr.Forbidden, "This API token is read-only (%s); use a read-write token to submit.", tok.Name)
		}
		c.Set(ctxUser, u)
		return next(c)
	}
}

// apiCreateBulkChange checks a request and, unless it is a dry run, stores it.
//
//	201 created · 200 dry run (every check per row; nothing stored) or a replayed Idempotency-Key
//	400 malformed JSON or unknown fields · 422 a row or field failed a check (nothing stored)
func (s *Server) apiCreateBulkChange(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	var body apiCreateRequest
	if msg := decodeStrict(http.MaxBytesReader(c.Response(), c.Request().Body, maxAPIBody), &body); msg != "" {
		return c.JSON(http.StatusBadRequest, apiError{Error: msg, Code: apperr.Invalid})
	}
	d := request.Draft{ProviderID: body.ServiceProviderID, Type: change.Type(body.ChangeType), Reason: body.Reason,
		Priority: change.Priority(body.Priority), Requester: u}
	if t, err := change.ParseType(body.ChangeType); err == nil {
		d.Type = t
	}
	if u.IsAdmin() {
		d.TenantID = body.TenantID
	} else {
		d.TenantID = scopeOf(u) // a manager acts for their own tenant, whatever the body says
	}
	plan := change.KeepPlan
	if body.ServicePlan != nil {
		plan = strings.TrimSpace(*body.ServicePlan)
	}
	d.AllPlans = &plan
	if body.RunAt != nil {
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(*body.RunAt))
		if err != nil {
			return c.JSON(http.StatusBadRequest, apiError{Code: apperr.Invalid,
				Error: fmt.Sprintf("run_at %q is not a date and time in RFC 3339 form, such as 2026-03-01T22:00:00Z or 2026-03-01T23:00:00+01:00.", *body.RunAt)})
		}
		// In the past or too far ahead: a 422 with fields.run_at, from the checks (request.Check).
		d.RunAt = &at
	}
	if d.Priority.Urgent() && d.TenantID != 0 {
		// Not a field to fix but a permission: 403, before any check runs.
		if ok, err := s.requests.MayMarkUrgent(ctx, u, d.TenantID); err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		} else if err == nil && !ok {
			return apperr.E(apperr.Forbidden, "%s", request.UrgentRefused)
		}
	}
	d.Rows = make([]change.Row, len(body.Rows))
	for i, r := range body.Rows {
		d.Rows[i] = change.Row{Current: r.Current, NewICCID: r.NewICCID, NewIMEI: r.NewIMEI}
	}

	if body.DryRun {
		res, err := s.requests.Check(ctx, d)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, dryRunAnswer(res))
	}
	sub, err := s.requests.Submit(ctx, d, request.Submitter{User: u, RemoteAddr: c.RealIP(),
		IdempotencyKey: c.Request().Header.Get("Idempotency-Key")})
	if errors.Is(err, request.ErrNotReady) {
		return c.JSON(http.StatusUnprocessableEntity, invalidAnswer(apperr.MessageOf(err), sub.Result))
	}
	if err != nil {
		return err
	}
	b, err := s.store.BulkChange(ctx, scopeOf(u), sub.ID)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !sub.Created {
		status = http.StatusOK
	}
	c.Response().Header().Set(echo.HeaderLocation, paths.APIBulkChange(b.ID))
	return c.JSON(status, apiCreated{ID: b.ID, Status: b.Status, Rows: b.Counts.Total, Created: sub.Created, Priority: b.Priority,
		URL: paths.APIBulkChange(b.ID), PortalURL: paths.BulkChange(b.ID)})
}

// maxAPIBody bounds a request body: 10,000 rows of three identifiers fit in a fraction of it.
const maxAPIBody = 8 << 20

// decodeStrict reads exactly one JSON object with no unknown fields, and says what is wrong
// with anything else in words a client developer can act on.
func decodeStrict(r io.Reader, v any) string {
	raw, err := io.ReadAll(r)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Sprintf("The body is larger than %d MB.", mbe.Limit>>20)
	}
	if err != nil {
		return "The body could not be read: " + err.Error()
	}
	if msg := checkJSONKeys(raw, v); msg != "" {
		return msg
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return "The body is empty; send a JSON object."
	case errors.As(err, &syn):
		return fmt.Sprintf("The body is not valid JSON: %v (at byte %d).", syn, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("Field %q must be a JSON %s, not %s.", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &mbe):
		return fmt.Sprintf("The body is larger than %d MB.", mbe.Limit>>20)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf("Unknown field %s; the fields are tenant_id (admins), service_provider_id, change_type, reason, service_plan, run_at, dry_run and rows (current, new_iccid, new_imei).",
			strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "The body ends in the middle of the JSON object."
	default:
		return "The body could not be read as JSON: " + err.Error()
	}
	if dec.More() {
		return "The body has more after the JSON object; send exactly one object."
	}
	return ""
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int64", "int", "float64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return goKind
}

// invalidAnswer is the 422 body: what is wrong with the request and with each failing row.
func invalidAnswer(msg string, res *request.Result) apiInvalid {
	out := apiInvalid{Error: msg, Code: apperr.Invalid, Rows: []apiRowErrors{}}
	if res == nil {
		return out
	}
	if len(res.Fields) > 0 {
		out.Fields = res.Fields
	}
	for _, r := range res.Rows {
		if m := r.Messages(); len(m) > 0 {
			out.Rows = append(out.Rows, apiRowErrors{Index: r.Index, Errors: m})
		}
	}
	return out
}

// dryRunAnswer is the 200 body of a dry run.
func dryRunAnswer(res *request.Result) apiDryRun {
	rows := make([]apiCheckedRow, 0, len(res.Rows))
	for _, r := range res.Rows {
		a := apiCheckedRow{Index: r.Index, Current: r.Input.Current, NewICCID: r.NewICCID, NewIMEI: r.NewIMEI,
			NetworkType: r.NetworkType, Model: r.Model, PlanGroup: r.Group, MonthlyChangeCents: r.CostCents,
			Errors: r.Messages(), OK: len(r.Messages()) == 0 && r.Device != nil && r.Plan != nil}
		if r.CurrentKind != 0 {
			a.CurrentKind = r.CurrentKind.String()
		}
		if d := r.Device; d != nil {
			a.Device = &apiLine{ID: d.ID, ICCID: d.ICCID, IMEI: d.IMEI, MSISDN: d.MSISDN, EID: d.EID, Status: d.StatusName}
		}
		if r.CurrentPlan != nil {
			a.CurrentPlan = r.CurrentPlan.Code
		}
		if r.Plan != nil {
			code := r.Plan.Code
			a.ServicePlan = &code
		}
		rows = append(rows, a)
	}
	groups := make([]apiPlanGroup, 0, len(res.Groups))
	for _, g := range res.Groups {
		var codes []string
		for _, p := range g.Compatible {
			codes = append(codes, p.Code)
		}
		groups = append(groups, apiPlanGroup{Key: g.Key, NetworkType: g.Network, CurrentPlanFits: g.CurrentFits, Rows: g.Rows,
			CompatiblePlans: codes, Chosen: g.Chosen, ServicePlan: g.Choice, Problem: g.Problem, MonthlyChangeCents: g.CostCents})
	}
	fields := res.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	return apiDryRun{DryRun: true, Valid: res.Ready, Fields: fields, Rows: rows, RowsWithErrors: res.Invalid, PlanGroups: groups,
		MonthlyChangeCents: res.CostCents}
}

// apiBulkChange is GET /api/v1/bulk-changes/{id}: the request, its counts and every row.
func (s *Server) apiBulkChange(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	b, err := s.store.BulkChange(ctx, scopeOf(currentUser(c)), id)
	if err != nil {
		return err
	}
	rows, _, err := s.store.DeviceChanges(ctx, b.ID, store.DeviceChangeFilter{})
	if err != nil {
		return err
	}
	out := apiBulkChangeDetail{apiBulkChange: apiBulkChangeOf(*b), Rows: make([]apiChangeRow, 0, len(rows))}
	for _, r := range rows {
		out.Rows = append(out.Rows, apiChangeRow{ID: r.ID, DeviceID: r.DeviceID,
			Current:  apiIdentifiers{ICCID: r.ICCID, IMEI: r.IMEI, MSISDN: r.MSISDN, EID: r.EID},
			NewICCID: r.NewICCID, NewIMEI: r.NewIMEI, ServicePlan: r.ServicePlan, Status: r.Status, StatusWords: r.Status.Words(), StatusDetails: r.StatusDetails,
			CarrierRequestID: r.RequestID, CreatedAt: r.CreatedDate, SubmittedAt: r.SubmittedDate, ProcessedAt: r.ProcessedDate,
			ModifiedAt: r.ModifiedDate})
	}
	return c.JSON(http.StatusOK, out)
}

// apiBulkChanges is GET /api/v1/bulk-changes?status=…&page=…: the caller's requests, newest first.
func (s *Server) apiBulkChanges(c echo.Context) error {
	u := currentUser(c)
	const perPage = 25
	page := 1
	if p := c.QueryParam("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxPage {
			return apperr.E(apperr.Invalid, "page must be a whole number from 1 to %d, not %q.", maxPage, p)
		}
		page = n
	}
	errs := map[string]string{}
	f, err := readBulkChangeFilter(u, c.QueryParams(), "tenant_id", errs)
	if err != nil {
		return err
	}
	for _, k := range []string{"from", "to"} {
		if msg := errs[k]; msg != "" {
			return apperr.E(apperr.Invalid, "%s: %s.", k, msg)
		}
	}
	f.Limit, f.Offset = perPage, (page-1)*perPage
	bs, total, err := s.store.BulkChanges(c.Request().Context(), f)
	if err != nil {
		return err
	}
	// A page past the last is refused, not clamped as the portal does: a program that pages
	// until it sees an empty page would get the last page again forever, and one that asked
	// for page 9 of 3 has a stale count it should hear about. Page 1 of nothing is an empty list.
	pages := pageCount(total, perPage)
	if page > pages {
		return apperr.E(apperr.Invalid, "page %d is past the last page: %d request(s) match, %d a page, so pages run from 1 to %d.",
			page, total, perPage, pages)
	}
	list := make([]apiBulkChange, 0, len(bs))
	for _, b := range bs {
		list = append(list, apiBulkChangeOf(b))
	}
	return c.JSON(http.StatusOK, apiBulkChangeList{BulkChanges: list, Page: page, PerPage: perPage, Total: total,
		Pages: pages})
}

func apiBulkChangeOf(b store.BulkChange) apiBulkChange {
	c := b.Counts
	return apiBulkChange{ID: b.ID, TenantID: b.TenantID, Tenant: b.TenantName, ServiceProviderID: b.ServiceProviderID,
		ServiceProvider: b.ProviderName, ChangeType: b.Type, Status: b.Status, StatusWords: b.Status.Words(), Summary: c.Summary(), StatusDetails: b.StatusDetails, Reason: b.Reason,
		Priority:  b.Priority,
		CreatedBy: b.CreatedBy, CreatedAt: b.CreatedDate, ProcessedAt: b.ProcessedDate, StartAt: b.StartAt, StartedAt: b.StartedDate,
		Counts: apiCounts{Total: c.Total, New: c.New, Processing: c.Processing, Processed: c.Processed, APIFailed: c.APIFailed,
			Error: c.Error, Cancelled: c.Cancelled},
		URL: paths.APIBulkChange(b.ID), UndoOf: b.UndoOf, UndoneBy: append([]int64{}, b.UndoneBy...)}
}

// apiCancelBulkChange is POST /api/v1/bulk-changes/{id}/cancel: like the portal's button, it
// withdraws the rows not yet sent; rows already with the carrier finish as it decides.
//
//	200 done (cancelled says how many; 0 when no row was waiting) · 404 no such request here
func (s *Server) apiCancelBulkChange(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no bulk change %q.", c.Param("id"))
	}
	u := currentUser(c)
	n, err := s.store.CancelOpenRows(ctx, scopeOf(u), id, u.Email)
	if err != nil {
		return err
	}
	b, err := s.store.BulkChange(ctx, scopeOf(u), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiCancelled{Cancelled: n, Message: cancelMessage(n), BulkChange: apiBulkChangeOf(*b)})
}
