// Package report sends the daily summary e-mail: for each tenant at the time and to the people
// its schedule names, and for the admins a summary of every tenant. It runs as a periodic job
// of the queue (jobs.KindDailySummary) and sends each schedule's summary once per local day.
package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/jobs"
	"github.com/idswap/idswap/internal/notify"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// Store is what the daily summary reads and records; *store.DB is one.
type Store interface {
	DailySchedules(ctx context.Context) ([]store.DailySchedule, error)
	DailySummaryOf(ctx context.Context, tenantID int64, from, to time.Time) (*store.DailySummary, error)
	MarkDailySent(ctx context.Context, id int64, day string) error
	AdminEmails(ctx context.Context) ([]string, error)
	ScheduleJob(ctx context.Context, kind string, payload any, runAt time.Time) (bool, error)
}

// Daily sends the daily summaries.
type Daily struct {
	Store    Store
	Mail     notify.Sender
	From     string
	BaseURL  func() string
	Now      func() time.Time
	Logger   *slog.Logger
	Interval time.Duration // between checks for due summaries; default 5m
}

func (d *Daily) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Daily) interval() time.Duration {
	if d.Interval <= 0 {
		return 5 * time.Minute
	}
	return d.Interval
}

// Start makes sure a check is queued.
func (d *Daily) Start(ctx context.Context) error {
	_, err := d.Store.ScheduleJob(ctx, jobs.KindDailySummary, struct{}{}, d.now())
	return err
}

// Handle is the jobs.KindDailySummary handler: it queues the next check, then sends what is due.
// A summary that fails is tried again at the next check, since it was not marked sent.
func (d *Daily) Handle(ctx context.Context, _ store.Job) error {
	if _, err := d.Store.ScheduleJob(ctx, jobs.KindDailySummary, struct{}{}, d.now().Add(d.interval())); err != nil {
		return err
	}
	if err := d.SendDue(ctx); err != nil && d.Logger != nil {
		d.Logger.ErrorContext(ctx, "daily summary failed", "err", err)
	}
	return nil
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// CheckSchedule says what is wrong with a time and a recipient list, or nil, and returns the
// list cleaned (comma-separated, without blanks).
func CheckSchedule(sendAt, recipients string) (string, error) {
	if !hhmm.MatchString(sendAt) {
		return "", apperr.E(apperr.Invalid, "The time must be HH:MM (24-hour), such as 07:30; not %q.", sendAt)
	}
	var out []string
	for _, r := range strings.FieldsFunc(recipients, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == ' ' }) {
		a, err := mail.ParseAddress(r)
		if err != nil || !strings.Contains(a.Address, ".") {
			return "", apperr.E(apperr.Invalid, "%q is not an e-mail address.", r)
		}
		out = append(out, a.Address)
	}
	if len(out) > 50 {
		return "", apperr.E(apperr.Invalid, "At most 50 recipients.")
	}
	list := strings.Join(out, ", ")
	if err := change.CheckLen("The list of recipients", list, change.MaxRecipients); err != nil {
		return "", err
	}
	return list, nil
}

// Due reports whether a schedule's summary should go out at now, and for which local day it
// goes out (the summary covers the day before it).
func Due(s store.DailySchedule, now time.Time) (due bool, today string, loc *time.Location) {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || s.TenantID == nil {
		loc = time.UTC // the admins' summary of every tenant runs on UTC
	}
	local := now.In(loc)
	today = local.Format("2006-01-02")
	if !s.IsActive || s.LastSentDay == today || !hhmm.MatchString(s.SendAt) {
		return false, today, loc
	}
	return local.Format("15:04") >= s.SendAt, today, loc
}

// SendDue sends every summary whose time has come today and that has not gone out today.
func (d *Daily) SendDue(ctx context.Context) error {
	schedules, err := d.Store.DailySchedules(ctx)
	if err != nil {
		return err
	}
	now := d.now()
	var errs []error
	for _, s := range schedules {
		due, today, loc := Due(s, now)
		if !due {
			continue
		}
		if err := d.send(ctx, s, today, loc); err != nil {
			errs = append(errs, fmt.Errorf("summary %d: %w", s.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (d *Daily) send(ctx context.Context, s store.DailySchedule, today string, loc *time.Location) error {
	day, _ := time.ParseInLocation("2006-01-02", today, loc)
	from := day.AddDate(0, 0, -1)
	var tenantID int64
	name := "every tenant"
	if s.TenantID != nil {
		tenantID, name = *s.TenantID, s.TenantName
	}
	sum, err := d.Store.DailySummaryOf(ctx, tenantID, from, day)
	if err != nil {
		return err
	}
	to := splitList(s.Recipients)
	if s.TenantID == nil {
		admins, err := d.Store.AdminEmails(ctx)
		if err != nil {
			return err
		}
		to = union(admins, to)
	}
	if len(to) == 0 {
		return d.Store.MarkDailySent(ctx, s.ID, today) // nobody to tell; not an error to repeat every check
	}
	base := ""
	if d.BaseURL != nil {
		base = d.BaseURL()
	}
	m := Message(name, from, loc, *sum, paths.Absolute(base, paths.Dashboard))
	m.ID = fmt.Sprintf("daily-%d-%s@idswap", s.ID, today)
	m.From, m.To = d.From, to
	if err := d.Mail.Send(ctx, m); err != nil {
		return err
	}
	return d.Store.MarkDailySent(ctx, s.ID, today)
}

// Message is the summary e-mail of one day.
func Message(scope string, day time.Time, loc *time.Location, s store.DailySummary, portalURL string) *notify.Message {
	var b strings.Builder
	date := day.Format("Monday 2 January 2006")
	fmt.Fprintf(&b, "idswap daily summary for %s, %s (%s)\n\n", scope, date, loc)
	fmt.Fprintf(&b, "Requests made:          %d\n", s.Requests)
	fmt.Fprintf(&b, "Rows finished:          %d\n", s.Finished.Processed+s.Finished.Failed()+s.Finished.Cancelled)
	fmt.Fprintf(&b, "  succeeded:            %d\n", s.Finished.Processed)
	fmt.Fprintf(&b, "  refused by the carrier (API_FAILED): %d\n", s.Finished.APIFailed)
	fmt.Fprintf(&b, "  could not run (ERROR): %d\n", s.Finished.Error)
	fmt.Fprintf(&b, "  cancelled:            %d\n", s.Finished.Cancelled)
	if rate, ok := s.SuccessRate(); ok {
		fmt.Fprintf(&b, "Success rate:           %.1f%%\n", rate*100)
	} else {
		fmt.Fprintf(&b, "Success rate:           no row finished\n")
	}
	fmt.Fprintf(&b, "Monthly cost change of the plans chosen: %s\n", change.FormatCentsChange(s.CostChangeCents))
	fmt.Fprintf(&b, "Rows still waiting now: %d\n", s.Waiting)
	if len(s.FailureCodes) > 0 {
		b.WriteString("\nFailures by carrier code:\n")
		for _, c := range s.FailureCodes {
			code := c.Code
			if code == "" {
				code = "(no code)"
			}
			fmt.Fprintf(&b, "  %-40s %d\n", code, c.Rows)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", portalURL)
	return &notify.Message{Subject: fmt.Sprintf("[idswap] Daily summary, %s: %s", day.Format("2006-01-02"), scope), Text: b.String()}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range append(append([]string{}, a...), b...) {
		if k := strings.ToLower(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}
