package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/ident"
	"github.com/idswap/idswap/internal/request"
	"github.com/idswap/idswap/internal/store"
)

// Reading the request form and applying the steps that change its rows.

// changeInput is what the request form posted, before any step is applied.
type changeInput struct {
	key        string
	tenantID   int64 // the tenant acted for: a manager's own, whatever the form says
	providerID int64
	typ        string
	reason     string
	runAtText  string // the start field as typed: a date and time in the tenant's zone, or ""
	zone       *time.Location
	rows       []change.Row
	query      string
	action     string
	confirm    string
	plans      map[string]string
	priority   string      // "normal" or "urgent" (change.Priority); "" is normal
	requester  *store.User // who fills in the form: whether they may mark it urgent
}

// readChangeInput reads the form. A manager's tenant is always their own: a tenant field they
// send is ignored.
func (s *Server) readChangeInput(c echo.Context) (changeInput, error) {
	u := currentUser(c)
	form, err := c.FormParams()
	if err != nil {
		return changeInput{}, apperr.Wrap(err, apperr.Invalid, "The form could not be read. Reload the page and try again.")
	}
	in := changeInput{
		key:       form.Get("idem"),
		typ:       form.Get("type"),
		reason:    form.Get("reason"),
		rows:      change.ParseRows(form.Get("rows")).Rows,
		query:     strings.TrimSpace(form.Get("q")),
		action:    form.Get("action"),
		confirm:   form.Get("confirm"),
		plans:     map[string]string{},
		priority:  form.Get("priority"),
		requester: u,
	}
	if in.key == "" {
		in.key = newToken()
	}
	in.providerID, _ = strconv.ParseInt(form.Get("provider"), 10, 64)
	if u.IsAdmin() {
		in.tenantID, _ = strconv.ParseInt(form.Get("tenant"), 10, 64)
	} else {
		in.tenantID = scopeOf(u)
	}
	in.runAtText = strings.TrimSpace(form.Get("run_at"))
	in.zone = time.UTC
	if in.tenantID != 0 {
		in.zone = s.tenantZone(c, in.tenantID)
	}
	for k, vs := range form {
		key, ok := strings.CutPrefix(k, "plan.")
		if !ok || len(vs) == 0 || vs[0] == "" {
			continue // no choice yet
		}
		if vs[0] == "keep" {
			in.plans[key] = change.KeepPlan
		} else {
			in.plans[key] = vs[0]
		}
	}
	return in, nil
}

func (in changeInput) draft() request.Draft {
	d := request.Draft{TenantID: in.tenantID, ProviderID: in.providerID, Type: change.Type(in.typ),
		Reason: in.reason, Rows: in.rows, PlanChoices: in.plans, Priority: change.Priority(in.priority), Requester: in.requester}
	if in.runAtText != "" {
		// The field is in the tenant's zone, as people think of their maintenance nights;
		// it is stored in UTC.
		at, err := time.ParseInLocation(datetimeLayout, in.runAtText, in.zone)
		if err != nil {
			d.RunAtProblem = fmt.Sprintf("The start %q is not a date and time (yyyy-mm-ddThh:mm, %s).", in.runAtText, in.zone)
		} else {
			d.RunAt = &at
		}
	}
	return d
}

// formState is what a step adds to the form beyond the request itself.
type formState struct {
	notices      []string
	fieldErrors  map[string]string // from the step: csv
	fresh        bool              // nothing entered yet: no "missing" errors
	live         bool              // a live check: only the results region is rendered
	submitting   bool              // a submit was refused: say what every group still needs
	confirmError string
	added        int // 1 + the index of a row just added from the search: the focus goes there
}

// applyEdits applies the steps that change the rows: fixes typed into the rows with problems,
// dropping a row, adding a device found by search, and the rows of an uploaded file.
func applyEdits(c echo.Context, rows []change.Row, st formState) ([]change.Row, formState) {
	form, _ := c.FormParams() // read already by readChangeInput
	// A fix or a drop names the row by its index and carries the row as it was shown; it applies
	// only if the row is still that, so an edit of the text box in between cannot misplace it.
	still := func(i int) bool {
		return i >= 0 && i < len(rows) && strings.TrimSpace(change.FormatRows(rows[i:i+1])) == form.Get(fmt.Sprintf("fix.%d.orig", i))
	}
	// The row to drop is judged before any fix changes it.
	drop := -1
	if i, err := strconv.Atoi(form.Get("drop")); err == nil && still(i) {
		drop = i
	}
	for k := range form {
		rest, ok := strings.CutPrefix(k, "fix.")
		if !ok || !strings.HasSuffix(rest, ".orig") {
			continue
		}
		i, err := strconv.Atoi(strings.TrimSuffix(rest, ".orig"))
		if err != nil || i == drop || !still(i) {
			continue
		}
		get := func(col string) string { return strings.TrimSpace(form.Get(fmt.Sprintf("fix.%d.%s", i, col))) }
		rows[i] = change.Row{Current: get("current"), NewICCID: get("new_iccid"), NewIMEI: get("new_imei"), Note: rows[i].Note}
	}
	if drop >= 0 {
		rows = append(rows[:drop:drop], rows[drop+1:]...)
		st.notices = append(st.notices, fmt.Sprintf("Row %d was dropped.", drop+1))
	} else if form.Get("drop") != "" {
		st.notices = append(st.notices, "The row to drop had changed in the text box meanwhile, so nothing was dropped; check the rows again.")
	}
	if add := strings.TrimSpace(form.Get("add")); add != "" {
		if containsCurrent(rows, add) {
			st.notices = append(st.notices, fmt.Sprintf("%s is in the request already.", add))
		} else {
			rows = append(rows, change.Row{Current: add})
			st.added = len(rows)
			st.notices = append(st.notices, fmt.Sprintf("%s was added as row %d: give its new identifiers.", add, len(rows)))
		}
	}
	if fh, err := c.FormFile("csv"); err == nil && fh.Size > 0 {
		added, notice, msg := readUpload(fh)
		if msg != "" {
			st.fieldErrors = map[string]string{"csv": msg}
		} else {
			rows = append(rows, added...)
			st.notices = append(st.notices, notice)
		}
	}
	return rows, st
}

// containsCurrent reports whether a row names this device already, by the same identifier.
func containsCurrent(rows []change.Row, current string) bool {
	_, want, err := ident.Detect(current)
	if err != nil {
		return false
	}
	for _, r := range rows {
		if _, v, err := ident.Detect(r.Current); err == nil && v == want {
			return true
		}
	}
	return false
}
