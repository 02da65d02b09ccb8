package change_test

import (
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
)

func TestCheckRunAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(time.Minute), ""},
		{now, ""},
		{now.Add(89 * 24 * time.Hour), ""},
		{now.Add(-time.Second), ""},
		{now.Add(-2 * time.Minute), "in the past"},
		{now.Add(91 * 24 * time.Hour), "more than 90 days ahead"},
	} {
		err := change.CheckRunAt(tt.at, now)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckRunAt(%s) = %v; want %q", tt.at, err, tt.want)
		}
	}
}

func TestLoadZone(t *testing.T) {
	if loc, err := change.LoadZone("Europe/Paris"); err != nil || loc.String() != "Europe/Paris" {
		t.Fatalf("LoadZone(Europe/Paris) = %v, %v", loc, err)
	}
	for _, bad := range []string{"Mars/Olympus", "Local", "../etc/passwd"} {
		if _, err := change.LoadZone(bad); err == nil || !strings.Contains(err.Error(), "not a time zone name") {
			t.Errorf("LoadZone(%q) = %v; want a clear error", bad, err)
		}
	}
}

// The window is read in the tenant's zone: a Monday–Friday 22:00–04:00 window in New York,
// asked at several moments, opens when a person in New York would say it does.
func TestWindowNext(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	weekdays := 0
	for d := time.Monday; d <= time.Friday; d++ {
		weekdays |= 1 << d
	}
	overnight := change.Window{Days: weekdays, Start: 22, End: 4}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, ny) }
	for _, tt := range []struct {
		name string
		w    change.Window
		now  time.Time
		want time.Time
	}{
		{"no window: at once", change.Window{}, at(2026, 3, 4, 12, 0), at(2026, 3, 4, 12, 0)},
		{"Wednesday noon waits for 22:00", overnight, at(2026, 3, 4, 12, 0), at(2026, 3, 4, 22, 0)},
		{"Wednesday 23:00 is inside", overnight, at(2026, 3, 4, 23, 0), at(2026, 3, 4, 23, 0)},
		{"Thursday 02:00 is inside Wednesday's window", overnight, at(2026, 3, 5, 2, 0), at(2026, 3, 5, 2, 0)},
		{"Saturday 02:00 is inside Friday's window", overnight, at(2026, 3, 7, 2, 0), at(2026, 3, 7, 2, 0)},
		{"Saturday noon waits for Monday 22:00", overnight, at(2026, 3, 7, 12, 0), at(2026, 3, 9, 22, 0)},
		{"Sunday 02:00 is not inside (no Saturday window)", overnight, at(2026, 3, 8, 2, 0), at(2026, 3, 9, 22, 0)},
		{"day window, after it closed", change.Window{Days: 1 << time.Sunday, Start: 9, End: 17}, at(2026, 3, 1, 17, 0), at(2026, 3, 8, 9, 0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.w.Check(); err != nil {
				t.Fatal(err)
			}
			if got := tt.w.Next(tt.now, ny); !got.Equal(tt.want) {
				t.Fatalf("Next(%s) = %s; want %s", tt.now, got.In(ny), tt.want)
			}
		})
	}
	if s := overnight.String(); s != "Mon, Tue, Wed, Thu, Fri 22:00–04:00" {
		t.Fatalf("String = %q", s)
	}
	for _, bad := range []change.Window{{Days: 200}, {Days: 1, Start: 24}, {Days: 1, End: 25}} {
		if bad.Check() == nil {
			t.Errorf("window %+v passed its check", bad)
		}
	}
}

func TestScheduledAndPausedMoves(t *testing.T) {
	for _, m := range [][2]change.BatchStatus{
		{change.BatchScheduled, change.BatchProcessing}, {change.BatchScheduled, change.BatchPaused},
		{change.BatchScheduled, change.BatchCancelled}, {change.BatchProcessing, change.BatchPaused},
		{change.BatchPaused, change.BatchProcessing}, {change.BatchPaused, change.BatchScheduled},
		{change.BatchPaused, change.BatchProcessed},
	} {
		if err := change.CheckBatchMove(m[0], m[1]); err != nil {
			t.Error(err)
		}
	}
	if change.CheckBatchMove(change.BatchProcessed, change.BatchPaused) == nil {
		t.Error("a finished request may be paused")
	}
	if change.BatchPaused.Final() || change.BatchScheduled.Final() || change.BatchPaused.Pausable() {
		t.Error("PAUSED and SCHEDULED are not final; a paused request is not pausable again")
	}
}
