package store

import (
	"context"
	"fmt"
	"time"
)

// Incident kinds: the conditions the alert evaluator (internal/alerting) watches.
const (
	IncidentCredentialsRefused = "credentials_refused" // Subject: the provider id
	IncidentQueueBehind        = "queue_behind"
	IncidentCarrierFailing     = "carrier_failing"
)

// Incident is one stretch of time a condition held.
type Incident struct {
	ID                int64      `db:"Id"`
	Kind              string     `db:"Kind"`
	Subject           string     `db:"Subject"`
	Title             string     `db:"Title"`
	Detail            string     `db:"Detail"`
	OpenedDate        time.Time  `db:"OpenedDate"`
	ClearedDate       *time.Time `db:"ClearedDate"`
	NotifiedOpenDate  *time.Time `db:"NotifiedOpenDate"`
	NotifiedClearDate *time.Time `db:"NotifiedClearDate"`
}

const incidentSelect = `SELECT Id, Kind, Subject, Title, Detail, OpenedDate, ClearedDate, NotifiedOpenDate, NotifiedClearDate FROM Incident`

// OpenIncidents lists the incidents not yet cleared, oldest first: the admin banner.
func (db *DB) OpenIncidents(ctx context.Context) ([]Incident, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []Incident
	return out, t.sel(ctx, &out, incidentSelect+` WHERE ClearedDate IS NULL ORDER BY OpenedDate, Id`)
}

// IncidentsToNotify lists incidents whose opening or clearing admins have not been told of yet.
func (db *DB) IncidentsToNotify(ctx context.Context) ([]Incident, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []Incident
	return out, t.sel(ctx, &out, incidentSelect+` WHERE NotifiedOpenDate IS NULL OR (ClearedDate IS NOT NULL AND NotifiedClearDate IS NULL) ORDER BY Id`)
}

// Condition is one evaluation of a watched condition.
type Condition struct {
	Kind, Subject string
	Holds         bool
	Title, Detail string // what the banner and the e-mail say while it holds
}

// SyncIncident opens an incident when the condition holds and none is open, and clears the open
// one when it no longer holds. It reports what it did: "opened", "cleared" or "".
func (db *DB) SyncIncident(ctx context.Context, c Condition) (string, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer t.Rollback()
	var open []int64
	if err := t.sel(ctx, &open, `SELECT Id FROM Incident WHERE Kind = ? AND Subject = ? AND ClearedDate IS NULL`, c.Kind, c.Subject); err != nil {
		return "", err
	}
	did := ""
	switch {
	case c.Holds && len(open) == 0:
		if _, err := t.insert(ctx, "Incident", []string{"Kind", "Subject", "Title", "Detail", "OpenedDate"},
			c.Kind, c.Subject, c.Title, c.Detail, t.now); err != nil {
			return "", err
		}
		did = "opened"
	case c.Holds:
		// Still open: keep the banner's words current (the numbers move).
		if _, err := t.exec(ctx, `UPDATE Incident SET Title = ?, Detail = ? WHERE Id = ?`, c.Title, c.Detail, open[0]); err != nil {
			return "", err
		}
	case len(open) > 0:
		if _, err := t.exec(ctx, `UPDATE Incident SET ClearedDate = ? WHERE Id = ?`, t.now, open[0]); err != nil {
			return "", err
		}
		did = "cleared"
	}
	return did, t.Commit()
}

// MarkIncidentNotified records that admins were told of an incident's opening, or of its
// clearing when cleared is true.
func (db *DB) MarkIncidentNotified(ctx context.Context, id int64, cleared bool) error {
	col := "NotifiedOpenDate"
	if cleared {
		col = "NotifiedClearDate"
	}
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.exec(ctx, `UPDATE Incident SET `+col+` = ? WHERE Id = ?`, t.now, id); err != nil {
		return fmt.Errorf("store: incident %d notified: %w", id, err)
	}
	return t.Commit()
}

// AdminEmails lists the e-mail addresses of the active admins.
func (db *DB) AdminEmails(ctx context.Context) ([]string, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []string
	return out, t.sel(ctx, &out, `SELECT Email FROM AppUser WHERE Role = ? AND IsActive = 1 ORDER BY Email`, RoleAdmin)
}

// ProviderSignIn is how a provider's last sign-ins at the carrier went, from the engine's log.
type ProviderSignIn struct {
	ProviderID   int64      `db:"ServiceProviderId"`
	ProviderName string     `db:"ProviderName"`
	LastRefused  *time.Time `db:"LastRefused"`  // the last "Authentication Failed" entry
	LastSignedIn *time.Time `db:"LastSignedIn"` // the last token or login the carrier granted
}

// Refused reports whether the carrier's last word on the provider's credentials was a refusal.
func (p ProviderSignIn) Refused() bool {
	return p.LastRefused != nil && (p.LastSignedIn == nil || p.LastSignedIn.Before(*p.LastRefused))
}

// ProviderSignIns reads, per provider, the last refused and the last granted sign-in that the
// engine logged. Both are seeks on the log's (LogEntryDescription, ProcessedDate) index.
func (db *DB) ProviderSignIns(ctx context.Context) ([]ProviderSignIn, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var raw []struct {
		ProviderID   int64  `db:"ServiceProviderId"`
		ProviderName string `db:"ProviderName"`
		LastRefused  dbTime `db:"LastRefused"`
		LastSignedIn dbTime `db:"LastSignedIn"`
	}
	err = t.sel(ctx, &raw, `SELECT b.ServiceProviderId, p.DisplayName AS ProviderName,
		MAX(CASE WHEN l.LogEntryDescription = ? THEN l.ProcessedDate END) AS LastRefused,
		MAX(CASE WHEN l.LogEntryDescription <> ? AND l.HasErrors = 0 THEN l.ProcessedDate END) AS LastSignedIn
		FROM M2MDeviceBulkChangeLog l
		JOIN DeviceBulkChange b ON b.Id = l.BulkChangeId
		JOIN ServiceProvider p ON p.Id = b.ServiceProviderId
		WHERE l.LogEntryDescription IN (?, ?, ?)
		GROUP BY b.ServiceProviderId, p.DisplayName
		ORDER BY b.ServiceProviderId`,
		LogAuthFailed, LogAuthFailed, LogAuthFailed, LogAccessToken, LogSessionLogin)
	if err != nil {
		return nil, err
	}
	out := make([]ProviderSignIn, len(raw))
	for i, r := range raw {
		out[i] = ProviderSignIn{ProviderID: r.ProviderID, ProviderName: r.ProviderName, LastRefused: r.LastRefused.ptr(), LastSignedIn: r.LastSignedIn.ptr()}
	}
	return out, nil
}

// FailedCarrierCalls counts the carrier exchanges since a time that failed (no answer, or an
// error answer), as the engine logged them: one entry per exchange, named "ThingSpace API…".
// The engine's own "retry later" note about a failed send is not an exchange and is left out.
func (db *DB) FailedCarrierCalls(ctx context.Context, since time.Time) (int, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer t.Rollback()
	var n int
	return n, t.get(ctx, &n, `SELECT COUNT(*) FROM M2MDeviceBulkChangeLog
		WHERE ProcessedDate >= ? AND HasErrors = 1 AND LogEntryDescription LIKE ? AND LogEntryDescription <> ?`,
		since.UTC(), LogCarrierCall+"%", LogCarrierBusy)
}

// ScheduleJob enqueues a job of kind at runAt unless one of that kind is already queued: the
// way a periodic job (the alert evaluator, the daily summary) keeps exactly one next run.
func (db *DB) ScheduleJob(ctx context.Context, kind string, payload any, runAt time.Time) (bool, error) {
	t, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer t.Rollback()
	var n int
	if err := t.get(ctx, &n, `SELECT COUNT(*) FROM Job WHERE Kind = ? AND Status = ?`, kind, JobQueued); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if err := enqueue(ctx, t, NewJob{Kind: kind, Payload: payload, RunAt: runAt, MaxAttempts: 3}); err != nil {
		return false, err
	}
	return true, t.Commit()
}
