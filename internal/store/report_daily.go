package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/idswap/idswap/internal/change"
)

// DailySchedule is when a daily summary goes out and to whom. TenantID nil is the admins'
// summary of every tenant.
type DailySchedule struct {
	ID          int64  `db:"Id"`
	TenantID    *int64 `db:"TenantId"`
	TenantName  string `db:"TenantName"`
	TimeZone    string `db:"TimeZone"`
	SendAt      string `db:"SendAt"`     // HH:MM local
	Recipients  string `db:"Recipients"` // comma-separated
	IsActive    bool   `db:"IsActive"`
	LastSentDay string `db:"LastSentDay"`
}

const scheduleSelect = `SELECT s.Id, s.TenantId, COALESCE(t.Name, '') AS TenantName, COALESCE(t.TimeZone, 'UTC') AS TimeZone,
	s.SendAt, s.Recipients, s.IsActive, COALESCE(s.LastSentDay, '') AS LastSentDay
	FROM ReportSchedule s LEFT JOIN Tenant t ON t.Id = s.TenantId`

// DailySchedules lists every schedule.
func (db *DB) DailySchedules(ctx context.Context) ([]DailySchedule, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []DailySchedule
	return out, t.sel(ctx, &out, scheduleSelect+` ORDER BY s.Id`)
}

// DailyScheduleOf is a tenant's schedule (tenantID 0: the all-tenants one), or nil.
func (db *DB) DailyScheduleOf(ctx context.Context, tenantID int64) (*DailySchedule, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []DailySchedule
	if tenantID == 0 {
		err = t.sel(ctx, &out, scheduleSelect+` WHERE s.TenantId IS NULL`)
	} else {
		err = t.sel(ctx, &out, scheduleSelect+` WHERE s.TenantId = ?`, tenantID)
	}
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// PutDailySchedule sets a tenant's schedule (tenantID 0: the all-tenants one); the caller has
// checked sendAt and the recipients.
func (db *DB) PutDailySchedule(ctx context.Context, tenantID int64, sendAt, recipients string, active bool, by string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	where, args := ` WHERE TenantId IS NULL`, []any{}
	if tenantID != 0 {
		where, args = ` WHERE TenantId = ?`, []any{tenantID}
	}
	res, err := t.exec(ctx, `UPDATE ReportSchedule SET SendAt = ?, Recipients = ?, IsActive = ?, ModifiedBy = ?, ModifiedDate = ?`+where,
		append([]any{sendAt, recipients, active, by, t.now}, args...)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.insert(ctx, "ReportSchedule", []string{"TenantId", "SendAt", "Recipients", "IsActive", "ModifiedBy", "ModifiedDate"},
			nullIfZero(tenantID), sendAt, recipients, active, by, t.now); err != nil {
			return err
		}
	}
	if err := insertAudit(ctx, t, AuditEvent{TenantID: nonZero(tenantID), Actor: by, Action: "report.daily_schedule", EntityType: "ReportSchedule",
		Details: map[string]any{"send_at": sendAt, "recipients": recipients, "active": active}}); err != nil {
		return err
	}
	return t.Commit()
}

// MarkDailySent records the local day a schedule's summary went out.
func (db *DB) MarkDailySent(ctx context.Context, id int64, day string) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE ReportSchedule SET LastSentDay = ? WHERE Id = ?`, day, id); err != nil {
		return err
	}
	return t.Commit()
}

// DailySummary is what the daily summary e-mail says about a period.
type DailySummary struct {
	Requests     int           // bulk changes created in the period
	Finished     change.Counts // rows that reached a final status in the period, by it
	FailureCodes []CodeCount   // failed rows of the period by carrier code, most first
	// CostChangeCents is what the plans chosen for the rows confirmed in the period change the
	// monthly bill by, in cents (rows that kept their plan change nothing).
	CostChangeCents int64
	Waiting         int // rows not final now: queued (NEW) or at the carrier (PROCESSING)
}

// SuccessRate is the share of the period's finished rows (cancelled ones aside) that succeeded;
// ok is false when none finished.
func (s DailySummary) SuccessRate() (rate float64, ok bool) {
	done := s.Finished.Processed + s.Finished.Failed()
	if done == 0 {
		return 0, false
	}
	return float64(s.Finished.Processed) / float64(done), true
}

// DailySummaryOf counts a period [from, to) for one tenant (0: every tenant).
func (db *DB) DailySummaryOf(ctx context.Context, tenantID int64, from, to time.Time) (*DailySummary, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	tenant, targs := "", []any{}
	if tenantID != 0 {
		tenant, targs = " AND b.TenantId = ?", []any{tenantID}
	}
	from, to = from.UTC(), to.UTC()
	s := &DailySummary{}
	if err := t.get(ctx, &s.Requests, `SELECT COUNT(*) FROM DeviceBulkChange b WHERE b.IsDeleted = 0 AND b.CreatedDate >= ? AND b.CreatedDate < ?`+tenant,
		append([]any{from, to}, targs...)...); err != nil {
		return nil, err
	}
	var byStatus []struct {
		Status string `db:"Status"`
		N      int    `db:"N"`
	}
	if err := t.sel(ctx, &byStatus, `SELECT c.Status, COUNT(*) AS N FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.ProcessedDate >= ? AND c.ProcessedDate < ? AND c.Status IN (?, ?, ?, ?)`+tenant+` GROUP BY c.Status`,
		append([]any{from, to, string(change.StatusProcessed), string(change.StatusAPIFailed), string(change.StatusError), string(change.StatusCancelled)}, targs...)...); err != nil {
		return nil, err
	}
	for _, r := range byStatus {
		s.Finished.Add(change.Status(r.Status), r.N)
	}
	clause, pargs := t.db.dialect.page(1, 0)
	if err := t.sel(ctx, &s.FailureCodes, `SELECT Code, COUNT(*) AS N FROM (
		SELECT COALESCE((SELECT l.ErrorCode FROM M2MDeviceBulkChangeLog l
			WHERE l.M2MDeviceChangeId = c.Id AND l.ErrorCode IS NOT NULL
			ORDER BY l.ProcessedDate DESC, l.Id DESC `+clause+`), '') AS Code
		FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.Status IN (?, ?) AND c.ProcessedDate >= ? AND c.ProcessedDate < ?`+tenant+`
	) failed GROUP BY Code ORDER BY COUNT(*) DESC, Code`,
		append(append(pargs, string(change.StatusAPIFailed), string(change.StatusError), from, to), targs...)...); err != nil {
		return nil, err
	}
	if err := t.get(ctx, &s.Waiting, `SELECT COUNT(*) FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.Status IN (?, ?)`+tenant, append([]any{string(change.StatusNew), string(change.StatusProcessing)}, targs...)...); err != nil {
		return nil, err
	}

	// The plan change of each confirmed row that moved plan: the new plan's monthly price less
	// the one it had (the envelope keeps it), from the provider's catalogue.
	var moved []struct {
		ProviderID int64  `db:"ServiceProviderId"`
		Plan       string `db:"ServicePlan"`
		Envelope   string `db:"ChangeRequest"`
	}
	if err := t.sel(ctx, &moved, `SELECT b.ServiceProviderId, c.ServicePlan, COALESCE(c.ChangeRequest, '') AS ChangeRequest
		FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.Status = ? AND c.ProcessedDate >= ? AND c.ProcessedDate < ? AND c.ServicePlan IS NOT NULL AND c.ServicePlan <> ''`+tenant,
		append([]any{string(change.StatusProcessed), from, to}, targs...)...); err != nil {
		return nil, err
	}
	if len(moved) > 0 {
		var prices []struct {
			ProviderID int64   `db:"ServiceProviderId"`
			Code       string  `db:"RatePlanCode"`
			Rate       float64 `db:"BaseRate"`
		}
		if err := t.sel(ctx, &prices, `SELECT ServiceProviderId, RatePlanCode, BaseRate FROM ThingSpaceCarrierRatePlan WHERE IsDeleted = 0`); err != nil {
			return nil, err
		}
		type key struct {
			p int64
			c string
		}
		cents := map[key]int64{}
		for _, p := range prices {
			cents[key{p.ProviderID, p.Code}] = change.Cents(p.Rate)
		}
		for _, m := range moved {
			var env change.Envelope
			_ = json.Unmarshal([]byte(m.Envelope), &env) // a row without an envelope had no plan recorded: counted from 0
			current := env.Identifier.CurrentServicePlan
			if current == m.Plan {
				continue
			}
			s.CostChangeCents += cents[key{m.ProviderID, m.Plan}] - cents[key{m.ProviderID, current}]
		}
	}
	return s, nil
}
