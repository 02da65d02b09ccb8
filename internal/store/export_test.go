package store

import "context"

// ResetForTests is resetForTests for the black-box tests of this package.
func (db *DB) ResetForTests(ctx context.Context) error { return db.resetForTests(ctx) }

// RawCredentialColumns returns the stored (sealed) secret columns of a provider.
func (db *DB) RawCredentialColumns(ctx context.Context, providerID int64) ([]string, error) {
	var r struct {
		A string  `db:"ClientSecret"`
		B string  `db:"Password"`
		C *string `db:"CallbackSecret"`
	}
	err := db.db.GetContext(ctx, &r, db.dialect.rebind(`SELECT ClientSecret, Password, CallbackSecret
		FROM ThingSpaceAuthentication WHERE ServiceProviderId = ?`), providerID)
	out := []string{r.A, r.B}
	if r.C != nil {
		out = append(out, *r.C)
	}
	return out, err
}

// ThingSpaceDeviceICCID reads the carrier-side copy of a device by IMEI.
func (db *DB) ThingSpaceDeviceICCID(ctx context.Context, providerID int64, imei string) (string, error) {
	var s string
	err := db.db.GetContext(ctx, &s, db.dialect.rebind(`SELECT ICCID FROM ThingSpaceDevice WHERE ServiceProviderId = ? AND IMEI = ?`), providerID, imei)
	return s, err
}

// CountJobs counts jobs in a status.
func (db *DB) CountJobs(ctx context.Context, status string) (int, error) {
	var n int
	err := db.db.GetContext(ctx, &n, db.dialect.rebind(`SELECT COUNT(*) FROM Job WHERE Status = ?`), status)
	return n, err
}

// TraceTransactions hands fn the statements of every transaction db commits, in order.
func (db *DB) TraceTransactions(fn func(stmts []string)) { db.traceTx = fn }

// CountJobsOfKind counts jobs of a kind in a status.
func (db *DB) CountJobsOfKind(ctx context.Context, kind, status string) (int, error) {
	var n int
	err := db.db.GetContext(ctx, &n, db.dialect.rebind(`SELECT COUNT(*) FROM Job WHERE Kind = ? AND Status = ?`), kind, status)
	return n, err
}

// AuditActionsOf lists the audit actions recorded about an entity, oldest first, with their actors.
func (db *DB) AuditActionsOf(ctx context.Context, entityType, entityID string) ([]string, error) {
	var rows []struct {
		Action string `db:"Action"`
		Actor  string `db:"Actor"`
	}
	err := db.db.SelectContext(ctx, &rows, db.dialect.rebind(`SELECT Action, Actor FROM AuditEvent
		WHERE EntityType = ? AND EntityId = ? ORDER BY Id`), entityType, entityID)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Action + " by " + r.Actor
	}
	return out, err
}
