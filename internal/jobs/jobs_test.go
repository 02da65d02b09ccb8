package jobs_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/jobs"
)

func TestRetryAfterFindsTheWaitThroughWrapping(t *testing.T) {
	cause := errors.New("429 Too Many Requests")
	err := fmt.Errorf("submit row 7: %w", jobs.Later(cause, 30*time.Second))
	if got := jobs.RetryAfter(err); got != 30*time.Second {
		t.Fatalf("RetryAfter = %v, want 30s", got)
	}
	if !errors.Is(err, cause) || err.Error() != "submit row 7: 429 Too Many Requests" {
		t.Fatalf("the cause is lost: %v", err)
	}
	if got := jobs.RetryAfter(cause); got != 0 {
		t.Fatalf("RetryAfter of a plain error = %v, want 0", got)
	}
}
