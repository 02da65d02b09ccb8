package change

import (
	"fmt"
	"strings"
	"time"
)

// MaxScheduleAhead is how far ahead a request may be scheduled: further than this is almost
// surely a typing mistake (a wrong year), and a request held that long would keep its SIMs and
// devices out of every other request.
const MaxScheduleAhead = 90 * 24 * time.Hour

// CheckRunAt returns a clear error unless runAt is a start time a request may have at now:
// not in the past and not more than MaxScheduleAhead ahead. A minute's grace lets a form's
// "this minute" through (the request then starts at once).
func CheckRunAt(runAt, now time.Time) error {
	switch {
	case runAt.Before(now.Add(-time.Minute)):
		return fmt.Errorf("the start time %s is in the past (it is now %s)", runAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case runAt.Sub(now) > MaxScheduleAhead:
		return fmt.Errorf("the start time %s is more than 90 days ahead", runAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// LoadZone loads an IANA time zone name ("Europe/Paris", "UTC"), or says clearly why not.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC, nil
	}
	// time.LoadLocation also takes "Local" and file-like names; a tenant's zone must be a real
	// IANA name that means the same on every server.
	if name == "Local" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("%q is not a time zone name (use an IANA name such as Europe/Paris or America/New_York)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone name (use an IANA name such as Europe/Paris or America/New_York)", name)
	}
	return loc, nil
}

// Window is a tenant's maintenance window: the week days (bit 1<<time.Weekday) on which it
// opens, at Start o'clock, closing at End o'clock in the tenant's zone. An End at or before
// Start runs past midnight into the next day (End = Start: 24 hours). Days 0 means no window:
// requests start at once.
type Window struct {
	Days       int
	Start, End int // hours, 0…23 and 0…24
}

// DayNames are the week days as a window lists them, Sunday first (time.Weekday order).
var DayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// Check returns a clear error unless the window is one a tenant may have.
func (w Window) Check() error {
	switch {
	case w.Days < 0 || w.Days > 127:
		return fmt.Errorf("the window's days are not a set of week days")
	case w.Start < 0 || w.Start > 23:
		return fmt.Errorf("the window must open at an hour from 0 to 23, not %d", w.Start)
	case w.End < 0 || w.End > 24:
		return fmt.Errorf("the window must close at an hour from 0 to 24, not %d", w.End)
	}
	return nil
}

// Open reports whether the tenant has a window at all.
func (w Window) Open() bool { return w.Days != 0 }

// length is how long the window stays open once it opens.
func (w Window) length() time.Duration {
	end := w.End
	if end <= w.Start {
		end += 24
	}
	return time.Duration(end-w.Start) * time.Hour
}

// Next is when a request submitted at now may start: now when there is no window or now is
// inside it, else the next time it opens. loc is the tenant's zone.
func (w Window) Next(now time.Time, loc *time.Location) time.Time {
	if !w.Open() {
		return now
	}
	local := now.In(loc)
	// Look at the opening of yesterday (a window past midnight may still be open) and of the
	// next eight days; the first that is on a window day and not yet closed answers.
	for d := -1; d <= 8; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, w.Start, 0, 0, 0, loc)
		if w.Days&(1<<day.Weekday()) == 0 {
			continue
		}
		closes := day.Add(w.length())
		if !now.Before(closes) {
			continue
		}
		if now.Before(day) {
			return day.UTC()
		}
		return now
	}
	return now // unreachable with a checked window: some day of the week is in it
}

// String says the window: "Mon, Tue 22:00–04:00", or "none".
func (w Window) String() string {
	if !w.Open() {
		return "none"
	}
	var days []string
	for i, n := range DayNames {
		if w.Days&(1<<i) != 0 {
			days = append(days, n)
		}
	}
	return fmt.Sprintf("%s %02d:00–%02d:00", strings.Join(days, ", "), w.Start, w.End)
}
