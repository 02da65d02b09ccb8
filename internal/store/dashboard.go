package store

import (
	"context"
	"time"

	"github.com/idswap/idswap/internal/change"
)

// DashboardFilter scopes the dashboard.
type DashboardFilter struct {
	TenantID  int64     // 0: every tenant (admins)
	WeekStart time.Time // "this week" starts here
	Since     time.Time // the success-rate series and the failure codes start here
}

// Dashboard is the start page's numbers, all counted by the database.
type Dashboard struct {
	WeekBatches int           // bulk changes created since WeekStart
	WeekRows    change.Counts // their rows, by status now
	// Their changed rows whose device has connected with the new identifiers since, and not yet.
	WeekOnline, WeekNotOnline int
	// Rows sent and waiting for the carrier's answer, and the one waiting longest.
	Waiting                   int
	OldestWaiting             *time.Time
	OldestWaitingBulkChangeID int64
	Days                      []DayOutcome // days since Since with at least one finished row, oldest first
	FailureCodes              []CodeCount  // failed rows since Since by carrier error code, most first
}

// DayOutcome is how many rows finished on one UTC day, and how.
type DayOutcome struct {
	Day                         time.Time
	Processed, APIFailed, Error int
}

// CodeCount is how many failed rows ended on one carrier error code ("" for rows that failed
// without one: our own checks, or a carrier that never answered).
type CodeCount struct {
	Code string `db:"Code"`
	Rows int    `db:"N"`
}

// Dashboard counts the start page's numbers. A row's finishing day is its ProcessedDate, which
// the engine sets when the row reaches a final status.
func (db *DB) Dashboard(ctx context.Context, f DashboardFilter) (*Dashboard, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	tenant, targs := "", []any{}
	if f.TenantID != 0 {
		tenant, targs = " AND b.TenantId = ?", []any{f.TenantID}
	}
	d := &Dashboard{}

	if err := t.get(ctx, &d.WeekBatches, `SELECT COUNT(*) FROM DeviceBulkChange b WHERE b.IsDeleted = 0 AND b.CreatedDate >= ?`+tenant,
		append([]any{f.WeekStart}, targs...)...); err != nil {
		return nil, err
	}
	var byStatus []struct {
		Status string `db:"Status"`
		N      int    `db:"N"`
	}
	if err := t.sel(ctx, &byStatus, `SELECT c.Status, COUNT(*) AS N FROM M2M_DeviceChange c
		JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE b.IsDeleted = 0 AND b.CreatedDate >= ?`+tenant+` GROUP BY c.Status`, append([]any{f.WeekStart}, targs...)...); err != nil {
		return nil, err
	}
	for _, s := range byStatus {
		d.WeekRows.Add(change.Status(s.Status), s.N)
	}

	var online struct {
		Online int `db:"Online"`
		NotYet int `db:"NotYet"`
	}
	if err := t.get(ctx, &online, `SELECT
		COALESCE(SUM(CASE WHEN c.OnlineSince IS NOT NULL THEN 1 ELSE 0 END), 0) AS Online,
		COALESCE(SUM(CASE WHEN c.OnlineSince IS NULL THEN 1 ELSE 0 END), 0) AS NotYet
		FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE b.IsDeleted = 0 AND b.CreatedDate >= ? AND c.Status = ?`+tenant,
		append([]any{f.WeekStart, string(change.StatusProcessed)}, targs...)...); err != nil {
		return nil, err
	}
	d.WeekOnline, d.WeekNotOnline = online.Online, online.NotYet

	var waiting struct {
		N      int    `db:"N"`
		Oldest dbTime `db:"Oldest"`
	}
	if err := t.get(ctx, &waiting, `SELECT COUNT(*) AS N, MIN(c.SubmittedDate) AS Oldest FROM M2M_DeviceChange c
		JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.Status = ?`+tenant, append([]any{string(change.StatusProcessing)}, targs...)...); err != nil {
		return nil, err
	}
	d.Waiting, d.OldestWaiting = waiting.N, waiting.Oldest.ptr()
	if d.Waiting > 0 {
		clause, pargs := t.db.dialect.page(1, 0)
		var ids []int64
		if err := t.sel(ctx, &ids, `SELECT c.BulkChangeId FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
			WHERE c.Status = ?`+tenant+` ORDER BY c.SubmittedDate, c.Id `+clause,
			append(append([]any{string(change.StatusProcessing)}, targs...), pargs...)...); err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			d.OldestWaitingBulkChangeID = ids[0]
		}
	}

	day := t.db.dialect.dayOf("c.ProcessedDate")
	var perDay []struct {
		Day    string `db:"Day"`
		Status string `db:"Status"`
		N      int    `db:"N"`
	}
	if err := t.sel(ctx, &perDay, `SELECT `+day+` AS Day, c.Status, COUNT(*) AS N FROM M2M_DeviceChange c
		JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.Status IN (?, ?, ?) AND c.ProcessedDate >= ?`+tenant+`
		GROUP BY `+day+`, c.Status ORDER BY `+day,
		append([]any{string(change.StatusProcessed), string(change.StatusAPIFailed), string(change.StatusError), f.Since}, targs...)...); err != nil {
		return nil, err
	}
	for _, r := range perDay {
		dt, err := time.Parse("2006-01-02", r.Day)
		if err != nil {
			return nil, err
		}
		if n := len(d.Days); n == 0 || !d.Days[n-1].Day.Equal(dt) {
			d.Days = append(d.Days, DayOutcome{Day: dt})
		}
		o := &d.Days[len(d.Days)-1]
		switch change.Status(r.Status) {
		case change.StatusProcessed:
			o.Processed += r.N
		case change.StatusAPIFailed:
			o.APIFailed += r.N
		case change.StatusError:
			o.Error += r.N
		}
	}

	// Each failed row counts once, under the code of its last coded log entry: a row that was
	// throttled twice and then refused counts as refused.
	clause, pargs := t.db.dialect.page(1, 0)
	err = t.sel(ctx, &d.FailureCodes, `SELECT Code, COUNT(*) AS N FROM (
		SELECT COALESCE((SELECT l.ErrorCode FROM M2MDeviceBulkChangeLog l
			WHERE l.M2MDeviceChangeId = c.Id AND l.ErrorCode IS NOT NULL
			ORDER BY l.ProcessedDate DESC, l.Id DESC `+clause+`), '') AS Code
		FROM M2M_DeviceChange c JOIN DeviceBulkChange b ON b.Id = c.BulkChangeId
		WHERE c.Status IN (?, ?) AND c.ProcessedDate >= ?`+tenant+`
	) failed GROUP BY Code ORDER BY COUNT(*) DESC, Code`,
		append(append(pargs, string(change.StatusAPIFailed), string(change.StatusError), f.Since), targs...)...)
	return d, err
}
