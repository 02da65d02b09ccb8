package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	mssql "github.com/microsoft/go-mssqldb"
)

// TestDeadlocksAndLockTimeoutsRunTheTransactionAgain: a deadlock victim (1205) or a lock
// timeout (1222) runs the whole transaction again; any other error, or one that persists,
// comes back.
func TestDeadlocksAndLockTimeoutsRunTheTransactionAgain(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		fails []error
		calls int
		ok    bool
	}{
		{"deadlock then success", []error{fmt.Errorf("store: x: %w", mssql.Error{Number: 1205})}, 2, true},
		{"lock timeout twice", []error{mssql.Error{Number: 1222}, mssql.Error{Number: 1205}}, 3, true},
		{"a duplicate key is not retried", []error{mssql.Error{Number: 2627}}, 1, false},
		{"a plain error is not retried", []error{errors.New("boom")}, 1, false},
		{"deadlocks every time", []error{mssql.Error{Number: 1205}, mssql.Error{Number: 1205}, mssql.Error{Number: 1205},
			mssql.Error{Number: 1205}, mssql.Error{Number: 1205}}, retryAttempts, false},
	} {
		calls := 0
		err := withRetry(ctx, func() error {
			calls++
			if calls <= len(c.fails) {
				return c.fails[calls-1]
			}
			return nil
		})
		if calls != c.calls || (err == nil) != c.ok {
			t.Errorf("%s: %d calls, err %v; want %d calls, ok %v", c.name, calls, err, c.calls, c.ok)
		}
	}
}
