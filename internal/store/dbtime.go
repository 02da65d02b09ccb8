package store

import (
	"fmt"
	"time"
)

// dbTime reads a time from any column, including aggregates (MIN, MAX) that SQLite returns as
// text because an expression has no declared type.
type dbTime struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		d.Time, d.Valid = time.Time{}, false
		return nil
	case time.Time:
		d.Time, d.Valid = x.UTC(), true
		return nil
	case []byte:
		return d.parse(string(x))
	case string:
		return d.parse(x)
	}
	return fmt.Errorf("store: cannot read %T as a time", v)
}

// sqliteTimeLayouts are the forms SQLite text times take: what the driver writes, and what the
// schema's strftime defaults write.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func (d *dbTime) parse(s string) error {
	for _, l := range sqliteTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			d.Time, d.Valid = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("store: %q is not a time", s)
}

// ptr returns the time, or nil when the column was NULL.
func (d dbTime) ptr() *time.Time {
	if !d.Valid {
		return nil
	}
	t := d.Time
	return &t
}
