package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
)

// Scheduling and pausing (issue 15, item 1). A request with a start time in the future is
// stored SCHEDULED with no submit job at all and one jobs.KindStartBulkChange due at StartAt:
// nothing of it can reach the carrier before then, whatever the queue does, and its start is
// one step (StartBulkChange) that writes the audit event and the webhook once. A paused
// request keeps its queued submit jobs; each one, when it runs, finds the request paused in
// the transaction that would claim its row (ClaimChange), marks the row held (HeldDate) and
// stops: resume queues a submit job again for exactly the held rows, so no row ever has two.

// Audit actions of scheduling and pausing.
const (
	ActionBulkChangeStart  AuditAction = "bulkchange.start"
	ActionBulkChangePause  AuditAction = "bulkchange.pause"
	ActionBulkChangeResume AuditAction = "bulkchange.resume"
	ActionTenantSchedule   AuditAction = "tenant.schedule"
)

// ScheduleDetails are the details of ActionBulkChangeStart, Pause and Resume.
type ScheduleDetails struct {
	Status  change.BatchStatus `json:"status"`             // the request's status after the action
	StartAt *time.Time         `json:"start_at,omitempty"` // a SCHEDULED request's start time
	Rows    int                `json:"rows,omitempty"`     // rows queued to send
}

// TenantScheduleDetails are the details of ActionTenantSchedule.
type TenantScheduleDetails struct {
	TimeZone string `json:"time_zone"`
	Window   string `json:"window"`
}

// TenantSchedule is a tenant's time zone and maintenance window.
type TenantSchedule struct {
	TimeZone string
	Window   change.Window
}

// TenantSchedule reads a tenant's time zone and maintenance window.
func (db *DB) TenantSchedule(ctx context.Context, tenantID int64) (TenantSchedule, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return TenantSchedule{}, err
	}
	defer t.Rollback()
	return tenantSchedule(ctx, t, tenantID)
}

func tenantSchedule(ctx context.Context, t *tx, tenantID int64) (TenantSchedule, error) {
	var r struct {
		TimeZone string `db:"TimeZone"`
		Days     int    `db:"MaintenanceDays"`
		Start    int    `db:"MaintenanceStartHour"`
		End      int    `db:"MaintenanceEndHour"`
	}
	if err := t.get(ctx, &r, `SELECT TimeZone, MaintenanceDays, MaintenanceStartHour, MaintenanceEndHour
		FROM Tenant WHERE Id = ? AND IsDeleted = 0`, tenantID); err != nil {
		return TenantSchedule{}, notFound(err, "no tenant %d", tenantID)
	}
	return TenantSchedule{TimeZone: r.TimeZone, Window: change.Window{Days: r.Days, Start: r.Start, End: r.End}}, nil
}

// SetTenantSchedule sets a tenant's time zone and maintenance window, checked: a zone that is
// not an IANA name or a window out of range is Invalid, and nothing changes.
func (db *DB) SetTenantSchedule(ctx context.Context, tenantID int64, s TenantSchedule, a Actor) error {
	if _, err := change.LoadZone(s.TimeZone); err != nil {
		return apperr.E(apperr.Invalid, "%s", err)
	}
	if err := s.Window.Check(); err != nil {
		return apperr.E(apperr.Invalid, "%s", err)
	}
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE Tenant SET TimeZone = ?, MaintenanceDays = ?, MaintenanceStartHour = ?, MaintenanceEndHour = ?,
		ModifiedBy = ?, ModifiedDate = ? WHERE Id = ? AND IsDeleted = 0`,
		s.TimeZone, s.Window.Days, s.Window.Start, s.Window.End, a.Name, t.now, tenantID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.E(apperr.NotFound, "no tenant %d", tenantID)
	}
	id := tenantID
	if err := a.audit(ctx, t, ActionTenantSchedule, "Tenant", id, &id,
		TenantScheduleDetails{TimeZone: s.TimeZone, Window: s.Window.String()}); err != nil {
		return err
	}
	return t.Commit()
}

// startAt decides when a new request starts: its own start time when it names one (checked
// by the caller), else the next opening of the tenant's maintenance window. It returns nil
// for "at once".
func startAt(ctx context.Context, t *tx, tenantID int64, asked *time.Time) (*time.Time, error) {
	if asked != nil {
		if at := asked.UTC().Truncate(time.Millisecond); at.After(t.now) {
			return &at, nil
		}
		return nil, nil
	}
	s, err := tenantSchedule(ctx, t, tenantID)
	if err != nil || !s.Window.Open() {
		return nil, err
	}
	loc, err := change.LoadZone(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("store: tenant %d: %w", tenantID, err)
	}
	if at := s.Window.Next(t.now, loc).UTC().Truncate(time.Millisecond); at.After(t.now) {
		return &at, nil
	}
	return nil, nil
}

// releaseRows queues a submit job for every unsent row of a request and clears their HeldDate:
// held is true to take only the rows a paused request held (see the comment at the top).
func releaseRows(ctx context.Context, t *tx, bulkID int64, held bool) (int, error) {
	q := `SELECT Id FROM M2M_DeviceChange WHERE BulkChangeId = ? AND Status = ? AND SubmittedDate IS NULL`
	if held {
		q += ` AND HeldDate IS NOT NULL`
	}
	var ids []int64
	if err := t.sel(ctx, &ids, q+` ORDER BY Id`, bulkID, string(change.StatusNew)); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := updateIn(ctx, t, `UPDATE M2M_DeviceChange SET HeldDate = NULL, StatusDetails = NULL, ModifiedDate = ?
		WHERE Status = ? AND Id IN (?)`, []any{t.now, string(change.StatusNew)}, anySlice(ids)); err != nil {
		return 0, err
	}
	urgent, err := bulkUrgent(ctx, t, bulkID)
	if err != nil {
		return 0, err
	}
	return len(ids), enqueue(ctx, t, fairSubmits(bulkID, ids, urgent)...)
}

// start moves a SCHEDULED (or paused before its start) request to PROCESSING and releases its
// rows, with the log, the audit event and the bulk_change.scheduled_started webhook.
func start(ctx context.Context, t *tx, bulkID int64, from change.BatchStatus, by, remoteAddr string) (int, error) {
	if err := moveBatch(ctx, t, bulkID, from, change.BatchProcessing, `, StartedDate = ?, StatusDetails = NULL, ModifiedBy = ?`, t.now, by); err != nil {
		return 0, err
	}
	n, err := releaseRows(ctx, t, bulkID, false)
	if err != nil {
		return 0, err
	}
	if err := insertLogs(ctx, t, bulkID, 0, by, []LogEntry{{Description: LogStarted,
		ResponseText: fmt.Sprintf("The scheduled request started: %d rows queued to send", n)}}); err != nil {
		return 0, err
	}
	tenant, err := tenantOf(ctx, t, bulkID)
	if err != nil {
		return 0, err
	}
	if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: by, Action: ActionBulkChangeStart, EntityType: "DeviceBulkChange",
		EntityID: fmt.Sprint(bulkID), RemoteAddr: remoteAddr, Details: ScheduleDetails{Status: change.BatchProcessing, Rows: n}}); err != nil {
		return 0, err
	}
	if err := enqueueWebhooks(ctx, t, tenant, EventBulkChangeScheduledStarted,
		BulkChangeEvent{BulkChangeID: bulkID, Status: string(change.BatchProcessing), Total: n}); err != nil {
		return 0, err
	}
	return n, nil
}

func tenantOf(ctx context.Context, t *tx, bulkID int64) (int64, error) {
	var tenant int64
	err := t.get(ctx, &tenant, `SELECT TenantId FROM DeviceBulkChange WHERE Id = ?`, bulkID)
	return tenant, err
}

// StartBulkChange is the jobs.KindStartBulkChange step: a request still SCHEDULED starts now
// (PROCESSING, a submit job per unsent row, the audit event and the webhook). A request that
// was paused, cancelled or started already is left alone (a paused one starts when resumed),
// and started is false.
func (db *DB) StartBulkChange(ctx context.Context, bulkID int64, by string) (started bool, err error) {
	err = withRetry(ctx, func() error {
		t, err := db.begin(ctx)
		if err != nil {
			return err
		}
		defer t.Rollback()
		status, err := lockBatch(ctx, t, bulkID)
		if err != nil {
			return err
		}
		if started = status == change.BatchScheduled; !started {
			return t.Commit()
		}
		if _, err := start(ctx, t, bulkID, status, by, ""); err != nil {
			return err
		}
		return t.Commit()
	})
	return started, err
}

// beginOnRequest begins a transaction on a request of tenantID (0: any tenant; another
// tenant's is NotFound) and locks the request first, batch before row (see withRetry): its
// status as locked.
func (db *DB) beginOnRequest(ctx context.Context, tenantID, bulkID int64) (*tx, change.BatchStatus, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := checkTenant(ctx, t, tenantID, bulkID); err != nil {
		_ = t.Rollback()
		return nil, "", err
	}
	status, err := lockBatch(ctx, t, bulkID)
	if err != nil {
		_ = t.Rollback()
		return nil, "", err
	}
	return t, status, nil
}

// PauseBulkChange pauses a request that is scheduled or running: nothing more of it is sent
// (rows already sent finish normally) until ResumeBulkChange. tenantID 0 means any tenant;
// another tenant's request is NotFound; a request that has finished or is paused already is a
// Conflict that says why.
func (db *DB) PauseBulkChange(ctx context.Context, tenantID, bulkID int64, by, remoteAddr string) error {
	return withRetry(ctx, func() error {
		t, status, err := db.beginOnRequest(ctx, tenantID, bulkID)
		if err != nil {
			return err
		}
		defer t.Rollback()
		if !status.Pausable() {
			return apperr.E(apperr.Conflict, "Bulk change %d is %s (%s): only a scheduled or running bulk change can be paused.",
				bulkID, status, status.Words())
		}
		if err := moveBatch(ctx, t, bulkID, status, change.BatchPaused, `, StatusDetails = ?, ModifiedBy = ?`, "Paused by "+by, by); err != nil {
			return err
		}
		if err := insertLogs(ctx, t, bulkID, 0, by, []LogEntry{{Description: LogPaused,
			ResponseText: "Paused by " + by + ": rows not yet sent wait; rows already sent finish"}}); err != nil {
			return err
		}
		tenant, err := tenantOf(ctx, t, bulkID)
		if err != nil {
			return err
		}
		if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: by, Action: ActionBulkChangePause, EntityType: "DeviceBulkChange",
			EntityID: fmt.Sprint(bulkID), RemoteAddr: remoteAddr, Details: ScheduleDetails{Status: change.BatchPaused}}); err != nil {
			return err
		}
		return t.Commit()
	})
}

// ResumeBulkChange resumes a paused request: one paused before its start time is SCHEDULED
// again (its start job still comes); one whose start time has passed starts now; one that
// was running goes on sending its held rows. It returns the status the request has now.
// tenantID 0 means any tenant; a request that is not paused is a Conflict.
func (db *DB) ResumeBulkChange(ctx context.Context, tenantID, bulkID int64, by, remoteAddr string) (now change.BatchStatus, err error) {
	err = withRetry(ctx, func() error {
		t, status, err := db.beginOnRequest(ctx, tenantID, bulkID)
		if err != nil {
			return err
		}
		defer t.Rollback()
		if status != change.BatchPaused {
			return apperr.E(apperr.Conflict, "Bulk change %d is %s (%s): only a paused bulk change can be resumed.", bulkID, status, status.Words())
		}
		details, err := resumePaused(ctx, t, bulkID, status, by, remoteAddr)
		now = details.Status
		if err != nil {
			return err
		}
		if err := insertLogs(ctx, t, bulkID, 0, by, []LogEntry{{Description: LogResumed,
			ResponseText: fmt.Sprintf("Resumed by %s: %s; %d rows queued to send", by, now.Words(), details.Rows)}}); err != nil {
			return err
		}
		tenant, err := tenantOf(ctx, t, bulkID)
		if err != nil {
			return err
		}
		if err := insertAudit(ctx, t, AuditEvent{TenantID: &tenant, Actor: by, Action: ActionBulkChangeResume, EntityType: "DeviceBulkChange",
			EntityID: fmt.Sprint(bulkID), RemoteAddr: remoteAddr, Details: details}); err != nil {
			return err
		}
		return t.Commit()
	})
	return now, err
}

// resumePaused moves a paused request on, as ResumeBulkChange says, and returns what it did: the
// status the request has now, its start time when it waits for it again, the rows queued to send.
func resumePaused(ctx context.Context, t *tx, bulkID int64, paused change.BatchStatus, by, remoteAddr string) (details ScheduleDetails, err error) {
	var b struct {
		StartAt     *time.Time `db:"StartAt"`
		StartedDate *time.Time `db:"StartedDate"`
	}
	if err := t.get(ctx, &b, `SELECT StartAt, StartedDate FROM DeviceBulkChange WHERE Id = ?`, bulkID); err != nil {
		return details, err
	}
	switch {
	case b.StartAt != nil && b.StartedDate == nil && b.StartAt.After(t.now):
		details.Status, details.StartAt = change.BatchScheduled, b.StartAt
		err = moveBatch(ctx, t, bulkID, paused, details.Status, `, StatusDetails = NULL, ModifiedBy = ?`, by)
	case b.StartAt != nil && b.StartedDate == nil:
		// Its start time passed while it was paused: its start job found it paused and left
		// it; it starts now.
		details.Status = change.BatchProcessing
		details.Rows, err = start(ctx, t, bulkID, paused, by, remoteAddr)
	default:
		details.Status = change.BatchProcessing
		if err := moveBatch(ctx, t, bulkID, paused, details.Status, `, StatusDetails = NULL, ModifiedBy = ?`, by); err != nil {
			return details, err
		}
		details.Rows, err = releaseRows(ctx, t, bulkID, true)
	}
	return details, err
}

// updateIn runs q, whose one "(?)" stands for an IN list, once per chunk of values.
func updateIn(ctx context.Context, t *tx, q string, args []any, values []any) error {
	for start := 0; start < len(values); start += inChunk {
		chunk := values[start:min(start+inChunk, len(values))]
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		if _, err := t.exec(ctx, strings.Replace(q, "(?)", "("+marks+")", 1), append(slices.Clip(args), chunk...)...); err != nil {
			return err
		}
	}
	return nil
}
