package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

// chartDays is how many days the success-rate chart and the failure codes cover.
const chartDays = 30

// dashboard is the start page: this week's changes, rows waiting for the carrier, the success
// rate per day and the failures by carrier code — a manager's tenant's, or every tenant's.
func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	now := s.now().UTC()
	today := now.Truncate(24 * time.Hour)
	weekStart := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7)) // Monday
	since := today.AddDate(0, 0, -(chartDays - 1))
	d, err := s.store.Dashboard(ctx, store.DashboardFilter{TenantID: scopeOf(u), WeekStart: weekStart, Since: since})
	if err != nil {
		return err
	}
	lf := store.BulkChangeFilter{Limit: 5, AllTenants: u.IsAdmin()}
	if !u.IsAdmin() {
		lf.TenantID = scopeOf(u)
	}
	recent, _, err := s.store.BulkChanges(ctx, lf)
	if err != nil {
		return err
	}

	p := views.DashboardPageModel{Layout: layout(c, "Dashboard", "dashboard"), Scope: "Every tenant",
		CodesSince: "since " + since.Format(dayMonthLayout)}
	if !u.IsAdmin() {
		p.Scope = u.TenantName
	}
	w := d.WeekRows
	finished := w.Processed + w.Failed()
	// The success rate is over the rows that ran: a cancelled row was never tried, so it is
	// neither a success nor a failure, and is counted on its own card rather than hidden.
	rate := "–"
	if finished > 0 {
		rate = fmt.Sprintf("%.1f %%", 100*float64(w.Processed)/float64(finished))
	}
	weekHint := "since Monday " + weekStart.Format(dayMonthLayout)
	p.Week = []views.Stat{
		{Label: "requests this week", Value: fmt.Sprint(d.WeekBatches), Hint: weekHint, TestID: "stat-week-requests"},
		{Label: "rows in them", Value: fmt.Sprint(w.Total), Hint: fmt.Sprintf("%d still open", w.Open()), TestID: "stat-week-rows"},
		{Label: "rows " + change.StatusProcessed.Words(), Value: fmt.Sprint(w.Processed),
			Hint: fmt.Sprintf("success rate %s of %d rows that ran", rate, finished), TestID: "stat-week-processed"},
		{Label: "rows failed", Value: fmt.Sprint(w.Failed()), Hint: fmt.Sprintf("%d %s, %d %s", w.APIFailed, change.StatusAPIFailed.Words(),
			w.Error, change.StatusError.Words()), TestID: "stat-week-failed"},
		{Label: "rows " + change.StatusCancelled.Words(), Value: fmt.Sprint(w.Cancelled), Hint: "withdrawn before they were sent",
			TestID: "stat-week-cancelled"},
		{Label: "changed lines back online", Value: fmt.Sprint(d.WeekOnline), Hint: change.OnlineSummary(d.WeekOnline, d.WeekNotOnline),
			TestID: "stat-week-online"},
	}
	p.Waiting = views.Stat{Label: "rows waiting for the carrier", Value: fmt.Sprint(d.Waiting), TestID: "stat-waiting"}
	if d.OldestWaiting != nil {
		p.Waiting.Hint = fmt.Sprintf("the oldest sent %s ago", ago(now.Sub(*d.OldestWaiting)))
		p.OldestURL = paths.BulkChangeFiltered(d.OldestWaitingBulkChangeID, string(change.StatusProcessing))
	}
	p.Chart = successChart(d.Days, since, chartDays)
	most := 0
	for _, cc := range d.FailureCodes {
		most = max(most, cc.Rows)
	}
	for _, cc := range d.FailureCodes {
		code := cc.Code
		if code == "" {
			code = "no carrier code"
		}
		p.Codes = append(p.Codes, views.CodeBar{Code: code, Rows: cc.Rows, Width: max(2, cc.Rows*200/most)})
	}
	for _, b := range recent {
		p.Recent = append(p.Recent, bulkChangeRow(b))
	}
	return render(c, http.StatusOK, views.DashboardPage(p))
}

// ago says a duration the way a person would: "3 h 12 min", "45 s".
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// The chart's geometry, in SVG user units, and its colour thresholds.
const (
	chartW, chartH           = 640, 200
	plotLeft, plotRight      = 44.0, 616.0 // room on the right for the last date label
	plotTop, plotBottom      = 10.0, 170.0
	barFill                  = 0.7 // share of a day's slot the bar fills
	minBarHeight             = 2.0 // a day of nothing but failures still shows a red sliver
	rateGood, rateAcceptable = 0.95, 0.80
	dayLabelEvery            = 7 // days between the dates under the x axis, counted back from today
)

// successChart lays the days out as bars whose height is the day's success rate.
func successChart(days []store.DayOutcome, since time.Time, n int) views.SuccessChart {
	c := views.SuccessChart{Width: chartW, Height: chartH}
	byDay := map[string]store.DayOutcome{}
	for _, d := range days {
		byDay[d.Day.Format(dateLayout)] = d
	}
	slot := (plotRight - plotLeft) / float64(n)
	height := plotBottom - plotTop
	for _, pct := range []float64{0, 50, 100} {
		c.Grid = append(c.Grid, views.ChartLine{Y: plotBottom - height*pct/100, Label: fmt.Sprintf("%.0f %%", pct), LabelX: plotLeft - 6})
	}
	var ok, all int
	for i := range n {
		day := since.AddDate(0, 0, i)
		x := plotLeft + slot*float64(i)
		if (n-1-i)%dayLabelEvery == 0 {
			c.XLabels = append(c.XLabels, views.ChartLabel{X: x + slot/2, Label: day.Format(shortDayLayout)})
		}
		d, found := byDay[day.Format(dateLayout)]
		failed := d.APIFailed + d.Error
		total := d.Processed + failed
		if !found || total == 0 {
			continue
		}
		ok, all = ok+d.Processed, all+total
		rate := float64(d.Processed) / float64(total)
		h := max(minBarHeight, height*rate)
		class := "bad"
		switch {
		case rate >= rateGood:
			class = "ok"
		case rate >= rateAcceptable:
			class = "warn"
		}
		c.Bars = append(c.Bars, views.ChartBar{X: x + slot*(1-barFill)/2, Y: plotBottom - h, W: slot * barFill, H: h, Class: class,
			Title: fmt.Sprintf("%s: %.0f %% (%d of %d rows)", day.Format(longDayLayout), 100*rate, d.Processed, total)})
		c.Days = append(c.Days, views.ChartDay{Day: day.Format(dateLayout), Processed: d.Processed, Failed: failed, Total: total,
			Rate: fmt.Sprintf("%.1f %%", 100*rate)})
	}
	if all == 0 {
		c.Empty, c.Summary = true, fmt.Sprintf("No row has finished in the last %d days.", n)
		return c
	}
	c.Summary = fmt.Sprintf("Over the last %d days, %d of %d finished rows succeeded (%.1f %%).", n, ok, all, 100*float64(ok)/float64(all))
	return c
}
