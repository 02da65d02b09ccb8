package store

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestParseUpdateNamesTheColumnOfEachValue: which argument of an UPDATE is a column's new value.
func TestParseUpdateNamesTheColumnOfEachValue(t *testing.T) {
	for _, c := range []struct {
		d    dialect
		q    string
		want []string
	}{
		{sqliteDialect, `UPDATE Tenant SET Name = ?, ModifiedBy = ? WHERE Id = ?`, []string{"Name", "ModifiedBy", ""}},
		{sqlserverDialect, `UPDATE Tenant SET Name = @p1, ModifiedBy = @p2 WHERE Id = @p3`, []string{"Name", "ModifiedBy", ""}},
		// COALESCE of the value keeps it the column's; a comparison or a sub-select does not.
		{sqliteDialect, `UPDATE M2M_DeviceChange SET RequestId = COALESCE(RequestId, ?), Status = CASE WHEN Status = ? THEN ? ELSE Status END,
			RatePlan = (SELECT Code FROM Plan WHERE Name = ?) WHERE Id = ?`, []string{"RequestId", "", "", "", ""}},
		// A literal with a comma or a keyword in it does not end the assignment.
		{sqliteDialect, `UPDATE Job SET LastError = 'a, WHERE b', Kind = ? WHERE Id = ?`, []string{"Kind", ""}},
		// TOP's argument comes first on SQL Server; numbered arguments say which is which.
		{sqlserverDialect, `UPDATE TOP (@p1) Job WITH (READPAST) SET LockedBy = @p2 OUTPUT INSERTED.Id WHERE Status = @p3`, []string{"", "LockedBy", ""}},
		{sqliteDialect, `UPDATE Job SET LockedBy = ? WHERE Id IN (SELECT Id FROM Job LIMIT ?) RETURNING Id`, []string{"LockedBy", ""}},
		{sqliteDialect, `UPDATE u SET u.Name = ? FROM AppUser u WHERE u.Id = ?`, []string{"Name", ""}},
	} {
		u := parseUpdate(c.d, c.q)
		if u == nil {
			t.Errorf("%s: not read as an UPDATE", c.q)
			continue
		}
		got := append([]string(nil), u.cols...)
		for len(got) < len(c.want) {
			got = append(got, "")
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.q, got, c.want)
		}
	}
	if parseUpdate(sqliteDialect, `SELECT Name FROM Tenant WHERE Id = ?`) != nil ||
		parseUpdate(sqliteDialect, `INSERT INTO Tenant (Name) VALUES (?)`) != nil {
		t.Error("a SELECT or an INSERT read as an UPDATE")
	}
}

// TestEveryRecordedUpdateIsRead reads every UPDATE the store sends (as recorded for SQL
// Server): each plain "Column = @pN" assignment must be found by parseUpdate, so that no
// UPDATE's value escapes the width check because the parser did not understand its shape.
func TestEveryRecordedUpdateIsRead(t *testing.T) {
	b, err := os.ReadFile("testdata/sqlserver-statements.json")
	if err != nil {
		t.Fatal(err)
	}
	var stmts []struct{ ID, SQL string }
	if err := json.Unmarshal(b, &stmts); err != nil {
		t.Fatal(err)
	}
	assign := regexp.MustCompile(`(?:\w+\.)?(\w+)\s*=\s*@p(\d+)\b`)
	before := regexp.MustCompile(`(?:\bSET|,)\s*$`)
	after := regexp.MustCompile(`^\s*(?:,|WHERE\b|OUTPUT\b|FROM\b|$)`)
	updates, checked := 0, 0
	for _, s := range stmts {
		if !strings.HasPrefix(strings.TrimSpace(s.SQL), "UPDATE") {
			continue
		}
		updates++
		u := parseUpdate(sqlserverDialect, s.SQL)
		if u == nil {
			t.Errorf("%s: not read as an UPDATE", s.ID)
			continue
		}
		set := s.SQL[:max(strings.Index(s.SQL, " WHERE "), 0)]
		if set == "" {
			set = s.SQL
		}
		for _, m := range assign.FindAllStringSubmatchIndex(set, -1) {
			if !before.MatchString(set[:m[0]]) || !after.MatchString(set[m[1]:]) {
				continue // part of a larger expression
			}
			col := set[m[2]:m[3]]
			n, _ := strconv.Atoi(set[m[4]:m[5]])
			checked++
			if n > len(u.cols) || u.cols[n-1] != col {
				t.Errorf("%s: @p%d is %s's value, parseUpdate says %q", s.ID, n, col, u.cols)
			}
		}
	}
	if updates < 40 || checked < 100 {
		t.Fatalf("only %d UPDATE statements and %d assignments checked: the file is not what this test reads", updates, checked)
	}
	t.Logf("%d UPDATE statements, %d assignments of an argument", updates, checked)
}
