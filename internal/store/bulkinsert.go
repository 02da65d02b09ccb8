package store

import (
	"context"
	"fmt"
	"strings"
)

// insertMany inserts rows with multi-row VALUES statements. SQL Server takes at most 2,100
// parameters and 1,000 rows per statement, so rows go in chunks that stay under both; a
// 10,000-row request is then a few dozen round trips instead of 10,000.
func insertMany(ctx context.Context, t *tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := 2000 / len(cols)
	if per > 500 {
		per = 500
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := fmt.Sprintf("INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		chunk := rows[start:end]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			if len(r) != len(cols) {
				return fmt.Errorf("store: insert into %s: a row has %d values for %d columns", table, len(r), len(cols))
			}
			r, err := checkWidths(table, cols, r)
			if err != nil {
				return err
			}
			args = append(args, r...)
		}
		q := head + strings.TrimSuffix(strings.Repeat(one+", ", len(chunk)), ", ")
		if _, err := t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: insert into %s: %w", table, err)
		}
	}
	return nil
}
