package web

import (
	"math"
	"time"

	"github.com/idswap/idswap/internal/change"
)

// How the portal writes times and dates: every layout in one place, all in UTC.
const (
	timeLayout       = "2006-01-02 15:04:05"      // a time on a page, to the second
	timeMillisLayout = "2006-01-02 15:04:05.000"  // a log or audit entry, where order within a second matters
	timeZoneLayout   = "2006-01-02 15:04:05 UTC"  // a time shown apart from the portal's tables (the outbox)
	csvTimeLayout    = "2006-01-02T15:04:05.000Z" // a time in a CSV export: ISO 8601, so spreadsheets read it
	dateLayout       = "2006-01-02"               // a date field (yyyy-mm-dd) and a chart day's key
	dayMonthLayout   = "2 January"                // "since 3 March"
	shortDayLayout   = "2 Jan"                    // a chart's x-axis label
	longDayLayout    = "Mon 2 January"            // a chart bar's title
	// a scheduled start, in the tenant's zone (the one place a page is not in UTC: people
	// schedule in their own time), and the wizard's date-and-time field
	zonedLayout    = "Mon 2 Jan 2006 15:04 MST"
	datetimeLayout = "2006-01-02T15:04"
)

// fmtZoned writes a time in a tenant's zone, naming the zone: "Mon 9 Mar 2026 22:00 CET
// (Europe/Paris)".
func fmtZoned(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(zonedLayout) + " (" + loc.String() + ")"
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func fmtTimeMillis(t time.Time) string { return t.UTC().Format(timeMillisLayout) }

// fmtDollars writes a rate the store keeps in dollars the way every price is written
// (change.FormatCents): "$4.50".
func fmtDollars(d float64) string { return change.FormatCents(int64(math.Round(d * 100))) }
