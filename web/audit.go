package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const (
	auditPageSize = 50
	// minPrefixDigits is the fewest leading digits the audit box searches by: fewer would match
	// most of the inventory.
	minPrefixDigits = 6
)

// audit is the admin audit search: one box for any identifier a device has or had, filters,
// keyset pages of the merged trail, and (?format=csv) the whole result streamed as CSV.
func (s *Server) audit(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	form := views.AuditForm{Q: q.Get("q"), Batch: q.Get("batch"), User: q.Get("user"), From: q.Get("from"), To: q.Get("to"),
		Errors: map[string]string{}}
	f, note := auditFilter(q, form)

	if q.Get("format") == "csv" {
		if len(form.Errors) > 0 {
			return apperr.E(apperr.Invalid, "The export's filters are wrong: %s", strings.Join(mapValues(form.Errors), "; "))
		}
		f.After = nil // the whole result, from the newest entry
		return s.auditCSV(c, f)
	}

	status := http.StatusOK
	res := views.AuditResults{Note: note, ShowDevice: f.Identifier != ""}
	if len(form.Errors) == 0 {
		page, err := s.store.AuditSearch(ctx, f)
		switch {
		case apperr.Is(err, apperr.Invalid):
			form.Errors["q"] = apperr.MessageOf(err)
		case err != nil:
			return err
		default:
			if err := s.fillAuditResults(c, &res, page); err != nil {
				return err
			}
		}
	}
	if len(form.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		res = views.AuditResults{Error: "Nothing was searched: correct the fields marked above."}
		if msg := form.Errors["after"]; msg != "" {
			res.Error = msg
		}
	}

	p := views.AuditPageModel{Layout: layout(c, "Audit", "audit"), Form: form, Results: res}
	ts, err := s.tenants(ctx)
	if err != nil {
		return err
	}
	p.Tenants = ts.options(f.TenantID)
	for _, st := range change.Statuses {
		p.Statuses = append(p.Statuses, views.Option{Value: string(st), Label: string(st), Selected: st == f.RowStatus})
	}
	for _, k := range store.AuditKinds {
		p.Kinds = append(p.Kinds, views.Option{Value: string(k), Label: k.Label(), Selected: k == f.Kind})
	}
	return render(c, status, views.AuditPage(p))
}

// auditFilter reads the search form. A field that cannot be read gets its error in form.Errors
// (by field name); note says how the identifier was understood.
func auditFilter(q url.Values, form views.AuditForm) (store.AuditFilter, string) {
	f := store.AuditFilter{Limit: auditPageSize, User: strings.TrimSpace(form.User)}
	var note string
	if raw := strings.TrimSpace(form.Q); raw != "" {
		var err error
		if f.Identifier, f.Prefix, note, err = auditIdentifier(raw); err != nil {
			form.Errors["q"] = err.Error()
		}
	}
	f.TenantID = int64(atoiDefault(q.Get("tenant"), 0))
	if b := strings.TrimPrefix(strings.TrimSpace(form.Batch), "#"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			form.Errors["batch"] = fmt.Sprintf("%q is not a bulk change number", form.Batch)
		}
		f.BulkChangeID = id
	}
	if v := q.Get("status"); v != "" {
		if !slices.Contains(change.Statuses, change.Status(v)) {
			form.Errors["status"] = fmt.Sprintf("%q is not a row status", v)
		}
		f.RowStatus = change.Status(v)
	}
	k, err := store.ParseAuditKind(q.Get("kind"))
	if err != nil {
		form.Errors["kind"] = apperr.MessageOf(err)
	}
	f.Kind = k
	f.From, f.To = parseDateRange(form.From, form.To, form.Errors)
	if a := q.Get("after"); a != "" {
		cur, err := store.ParseAuditCursor(a)
		if err != nil {
			form.Errors["after"] = apperr.MessageOf(err)
		}
		f.After = cur
	}
	return f, note
}

// auditIdentifier reads the search box. A whole identifier of any kind is normalised the way
// the rest of idswap stores it (ident.Detect: spaces, dashes, the F pad, +1 on an MDN) and
// matched exactly. Otherwise six or more digits are taken as the start of an identifier — what
// a person copies from a label or a log line — and matched as a prefix; this also finds stored
// values that fail their check digit. Anything else is an error that says both rules.
func auditIdentifier(raw string) (value string, prefix bool, note string, err error) {
	kind, v, derr := ident.Detect(raw)
	if derr == nil {
		return v, false, fmt.Sprintf("Everything about %s %s: the devices that have or had it, and every entry about them.", kind, v), nil
	}
	digits, onlyDigits := "", true
	for _, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			digits += string(r)
		case r == ' ' || r == '-' || r == '.':
		default:
			onlyDigits = false
		}
	}
	if onlyDigits && len(digits) >= minPrefixDigits {
		return digits, true, fmt.Sprintf("Identifiers starting with %s (not a whole identifier: %s).", digits, derr.Error()), nil
	}
	return "", false, "", fmt.Errorf("%s. Or type the first %d or more digits to search by the start of an identifier", derr.Error(), minPrefixDigits)
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// fillAuditResults turns a page of hits into the view, with the links to the next page, back
// to the first, and to the CSV of the whole result.
func (s *Server) fillAuditResults(c echo.Context, res *views.AuditResults, page *store.AuditPage) error {
	u := c.Request().URL
	if len(page.Devices) > 0 {
		ts, err := s.tenants(c.Request().Context())
		if err != nil {
			return err
		}
		names := ts.names()
		for _, d := range page.Devices {
			res.Devices = append(res.Devices, deviceRow(d, names[d.TenantID]))
		}
	}
	for _, h := range page.Hits {
		res.Hits = append(res.Hits, auditHitView(h))
	}
	q := u.Query()
	if page.Next != nil {
		next := cloneValues(q)
		next.Set("after", page.Next.String())
		res.NextURL = withQuery(u.Path, next)
	}
	if q.Get("after") != "" {
		first := cloneValues(q)
		first.Del("after")
		res.FirstURL = withQuery(u.Path, first)
	}
	csvQ := cloneValues(q)
	csvQ.Del("after")
	csvQ.Set("format", "csv")
	res.CSVURL = withQuery(u.Path, csvQ)
	return nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// auditHitView is one hit as the table shows it.
func auditHitView(h store.AuditHit) views.AuditHit {
	v := views.AuditHit{When: fmtTimeMillis(h.Date), Tenant: h.TenantName, RowStatus: h.RowStatus,
		RowStatusClass: h.RowStatus, Who: h.Actor, What: h.Summary, HasErrors: h.HasErrors, ErrorCode: h.ErrorCode,
		ErrorText: h.ErrorText}
	if h.BulkChangeID != nil {
		v.BatchURL, v.BatchLabel = paths.BulkChange(*h.BulkChangeID), fmt.Sprintf("#%d", *h.BulkChangeID)
	}
	if h.DeviceID != nil {
		v.DeviceURL = paths.Device(*h.DeviceID)
	}
	switch h.Source {
	case store.SourceLog:
		v.Source, v.SourceClass = "Carrier log", "src-log"
		if h.HasErrors {
			v.SourceClass = "failed"
		}
		v.Changes = rowChanges(h.RowIdentifiers)
		if h.ChangeID != nil && h.BulkChangeID != nil {
			v.LogURL = paths.BulkChangeRowLog(*h.BulkChangeID, *h.ChangeID)
		}
	case store.SourceHistory:
		v.Source, v.SourceClass = "Identifier change", "src-history"
		v.What = "Identifiers changed"
		if h.Summary != "" {
			v.What += ": " + h.Summary
		}
		v.Changes = historyChanges(h.ICCID, h.NewICCID, h.IMEI, h.NewIMEI)
	case store.SourceAudit:
		v.Source, v.SourceClass = "Audit event", "src-audit"
		v.Details = h.Details
		if h.RemoteAddr != "" {
			v.Who += " from " + h.RemoteAddr
		}
	}
	return v
}
