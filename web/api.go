package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

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
		u, err := s.auth.UserByToken(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="idswap", error="invalid_token"`)
			return err
		}
		c.Set(ctxUser, u)
		return next(c)
	}
}

// apiCreateRequest is the body of POST /api/v1/bulk-changes.
type apiCreateRequest struct {
	TenantID          int64    `json:"tenant_id"` // admins only: the tenant to act for
	ServiceProviderID int64    `json:"service_provider_id"`
	ChangeType        string   `json:"change_type"`
	Reason            string   `json:"reason"`
	ServicePlan       *string  `json:"service_plan"` // "" or absent: keep each device's plan where it fits
	DryRun            bool     `json:"dry_run"`
	Rows              []apiRow `json:"rows"`
}

type apiRow struct {
	Current  string `json:"current"`
	NewICCID string `json:"new_iccid"`
	NewIMEI  string `json:"new_imei"`
}

// apiRowErrors is one failing row of a 422 answer.
type apiRowErrors struct {
	Index  int      `json:"index"`
	Errors []string `json:"errors"`
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
		return c.JSON(http.StatusBadRequest, map[string]any{"error": msg, "code": apperr.Invalid})
	}
	d := request.Draft{ProviderID: body.ServiceProviderID, Type: change.Type(body.ChangeType), Reason: body.Reason}
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
	return c.JSON(status, map[string]any{"id": b.ID, "status": b.Status, "rows": b.Counts.Total, "created": sub.Created,
		"url": paths.APIBulkChange(b.ID), "portal_url": paths.BulkChange(b.ID)})
}

// maxAPIBody bounds a request body: 10,000 rows of three identifiers fit in a fraction of it.
const maxAPIBody = 8 << 20

// decodeStrict reads exactly one JSON object with no unknown fields, and says what is wrong
// with anything else in words a client developer can act on.
func decodeStrict(r io.Reader, v any) string {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
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
		return fmt.Sprintf("Unknown field %s; the fields are tenant_id (admins), service_provider_id, change_type, reason, service_plan, dry_run and rows (current, new_iccid, new_imei).",
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
func invalidAnswer(msg string, res *request.Result) map[string]any {
	out := map[string]any{"error": msg, "code": apperr.Invalid, "rows": []apiRowErrors{}}
	if res == nil {
		return out
	}
	if len(res.Fields) > 0 {
		out["fields"] = res.Fields
	}
	rows := []apiRowErrors{}
	for _, r := range res.Rows {
		if m := r.Messages(); len(m) > 0 {
			rows = append(rows, apiRowErrors{Index: r.Index, Errors: m})
		}
	}
	out["rows"] = rows
	return out
}

// apiCheckedRow is one row of a dry run: what every check found.
type apiCheckedRow struct {
	Index              int      `json:"index"`
	Current            string   `json:"current"`
	CurrentKind        string   `json:"current_kind,omitempty"`
	Device             *apiLine `json:"device,omitempty"`
	NewICCID           string   `json:"new_iccid,omitempty"`
	NewIMEI            string   `json:"new_imei,omitempty"`
	NetworkType        string   `json:"network_type,omitempty"`
	Model              string   `json:"model,omitempty"`
	CurrentPlan        string   `json:"current_plan,omitempty"`
	ServicePlan        *string  `json:"service_plan"` // the plan after the change; null while undecided
	MonthlyChangeCents int64    `json:"monthly_change_cents"`
	PlanGroup          string   `json:"plan_group,omitempty"`
	Errors             []string `json:"errors"`
	OK                 bool     `json:"ok"`
}

// apiLine is a device as the API shows it.
type apiLine struct {
	ID     int64  `json:"id"`
	ICCID  string `json:"iccid"`
	IMEI   string `json:"imei"`
	MSISDN string `json:"msisdn"`
	EID    string `json:"eid,omitempty"`
	Status string `json:"status"`
}

// dryRunAnswer is the 200 body of a dry run.
func dryRunAnswer(res *request.Result) map[string]any {
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
	groups := make([]map[string]any, 0, len(res.Groups))
	for _, g := range res.Groups {
		var codes []string
		for _, p := range g.Compatible {
			codes = append(codes, p.Code)
		}
		groups = append(groups, map[string]any{"key": g.Key, "network_type": g.Network, "current_plan_fits": g.CurrentFits,
			"rows": g.Rows, "compatible_plans": codes, "chosen": g.Chosen, "service_plan": g.Choice, "problem": g.Problem,
			"monthly_change_cents": g.CostCents})
	}
	fields := res.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	return map[string]any{"dry_run": true, "valid": res.Ready, "fields": fields, "rows": rows,
		"rows_with_errors": res.Invalid, "plan_groups": groups, "monthly_change_cents": res.CostCents}
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
	out := apiBulkChangeOf(*b)
	list := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		list = append(list, map[string]any{
			"id": r.ID, "device_id": r.DeviceID,
			"current":   map[string]string{"iccid": r.ICCID, "imei": r.IMEI, "msisdn": r.MSISDN, "eid": r.EID},
			"new_iccid": r.NewICCID, "new_imei": r.NewIMEI, "service_plan": r.ServicePlan,
			"status": r.Status, "status_details": r.StatusDetails, "carrier_request_id": r.RequestID,
			"created_at": r.CreatedDate, "submitted_at": r.SubmittedDate, "processed_at": r.ProcessedDate, "modified_at": r.ModifiedDate,
		})
	}
	out["rows"] = list
	return c.JSON(http.StatusOK, out)
}

// apiBulkChanges is GET /api/v1/bulk-changes?status=…&page=…: the caller's requests, newest first.
func (s *Server) apiBulkChanges(c echo.Context) error {
	u := currentUser(c)
	const perPage = 25
	page := 1
	if p := c.QueryParam("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return apperr.E(apperr.Invalid, "page must be a whole number from 1, not %q.", p)
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
	list := make([]map[string]any, 0, len(bs))
	for _, b := range bs {
		list = append(list, apiBulkChangeOf(b))
	}
	return c.JSON(http.StatusOK, map[string]any{"bulk_changes": list, "page": page, "per_page": perPage,
		"total": total, "pages": max(1, (total+perPage-1)/perPage)})
}

func apiBulkChangeOf(b store.BulkChange) map[string]any {
	return map[string]any{
		"id": b.ID, "tenant_id": b.TenantID, "tenant": b.TenantName,
		"service_provider_id": b.ServiceProviderID, "service_provider": b.ProviderName,
		"change_type": b.Type, "status": b.Status, "status_details": b.StatusDetails, "reason": b.Reason,
		"created_by": b.CreatedBy, "created_at": b.CreatedDate, "processed_at": b.ProcessedDate,
		"counts": map[string]int{"total": b.Counts.Total, "new": b.Counts.New, "processing": b.Counts.Processing,
			"processed": b.Counts.Processed, "api_failed": b.Counts.APIFailed, "error": b.Counts.Error, "cancelled": b.Counts.Cancelled},
		"url": paths.APIBulkChange(b.ID),
	}
}
