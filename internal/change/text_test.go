package change_test

import (
	"strings"
	"testing"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

func TestTextLenCountsUTF16Units(t *testing.T) {
	for s, want := range map[string]int{
		"":                       0,
		"abc":                    3,
		"é":                      1, // two bytes, one unit
		"中文":                     2,
		"😀":                      2, // outside the BMP: a surrogate pair
		"a😀b":                    4,
		"\xff\xfe":               2, // not UTF-8: a unit a byte
		"👍🏽":                     4, // two code points, each outside the BMP
		strings.Repeat("😀", 250): 500,
	} {
		if got := change.TextLen(s); got != want {
			t.Errorf("TextLen(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestCutTextNeverSplitsACharacter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"a😀b", 2, "a"}, // the emoji's two units do not fit after a
		{"a😀b", 3, "a😀"},
		{strings.Repeat("😀", 251), 501, strings.Repeat("😀", 250)},
	} {
		got := change.CutText(tc.in, tc.max)
		if got != tc.want || change.TextLen(got) > tc.max {
			t.Errorf("CutText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestTooLongSaysTheLimitAndWhyAnEmojiCountsTwice(t *testing.T) {
	if msg := change.TooLong("The reason", strings.Repeat("😀", 250), 500); msg != "" {
		t.Fatalf("250 emoji in 500 units: %q", msg)
	}
	msg := change.TooLong("The reason", strings.Repeat("😀", 251), 500)
	if !strings.HasPrefix(msg, "The reason has 502 characters, counting each emoji") || !strings.Contains(msg, "at most 500 fit") {
		t.Fatalf("251 emoji: %q", msg)
	}
	if msg := change.TooLong("The name", strings.Repeat("a", 101), 100); msg != "The name has 101 characters; at most 100 fit." {
		t.Fatalf("101 letters: %q", msg)
	}
}

// Each limit is the width its comment names in the SQL Server schema: a limit above it would let
// the store refuse what the form accepted, one below it refuse what the column holds.
func TestLimitsAreTheColumnWidths(t *testing.T) {
	// widths of the NVARCHAR columns, as the store reads them from the SQL Server migrations.
	widths := func(col string) (int, bool) {
		table, column, _ := strings.Cut(col, ".")
		w, unicode, ok := store.ColumnWidth(table, column)
		return w, ok && unicode
	}
	for col, limit := range map[string]int{
		"DeviceBulkChange.Reason":                    change.MaxReason,
		"DeviceIdentifierChangeHistory.ChangeReason": change.MaxReason,
		"Tenant.Name":                                  change.MaxTenantName,
		"Tenant.TimeZone":                              change.MaxTimeZone,
		"AppUser.Email":                                change.MaxEmail,
		"ServiceProvider.NotificationEmail":            change.MaxEmail,
		"ServiceProvider.FromEmail":                    change.MaxEmail,
		"AppUser.DisplayName":                          change.MaxDisplayName,
		"ApiToken.Name":                                change.MaxTokenName,
		"ServiceProvider.Name":                         change.MaxProviderName,
		"ThingSpaceAuthentication.BaseUrl":             change.MaxBaseURL,
		"ThingSpaceAuthentication.AccountNumber":       change.MaxAccountNumber,
		"ThingSpaceAuthentication.ClientId":            change.MaxClientID,
		"ThingSpaceAuthentication.Username":            change.MaxUWSUser,
		"TenantAssignmentRule.FieldName":               change.MaxRuleField,
		"TenantAssignmentRule.FieldValue":              change.MaxRuleValue,
		"WebhookEndpoint.Url":                          change.MaxWebhookURL,
		"ReportSchedule.Recipients":                    change.MaxRecipients,
		"IMEI_DeviceType_CarrierRatePlan.Manufacturer": change.MaxManufacturer,
		"IMEI_DeviceType_CarrierRatePlan.Model":        change.MaxModel,
	} {
		w, ok := widths(col)
		if !ok {
			t.Errorf("%s: no such NVARCHAR column", col)
		} else if w != limit {
			t.Errorf("%s is NVARCHAR(%d), the limit %d", col, w, limit)
		}
	}
	// ServiceProvider.DisplayName holds the provider's name too.
	if w, _ := widths("ServiceProvider.DisplayName"); w < change.MaxProviderName {
		t.Errorf("ServiceProvider.DisplayName (%d) is narrower than the provider name (%d)", w, change.MaxProviderName)
	}
	// A secret of MaxSecretBytes sealed: "gcm1:" + base64(12-byte nonce + bytes + 16-byte tag).
	sealed := len("gcm1:") + 4*((12+change.MaxSecretBytes+16+2)/3)
	for _, col := range []string{"ThingSpaceAuthentication.ClientSecret", "ThingSpaceAuthentication.Password"} {
		if w, _ := widths(col); sealed > w {
			t.Errorf("%s (%d) cannot hold a sealed secret of %d bytes (%d)", col, w, change.MaxSecretBytes, sealed)
		}
	}
}
