package change

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/idswap/idswap/internal/apperr"
)

// Text people type is stored in NVARCHAR(n) columns on SQL Server, where n counts UTF-16 code
// units: an emoji or any other character outside the Basic Multilingual Plane takes two. A
// browser's maxlength counts the same units. So every form and the API count text with TextLen
// and allow what the column holds, and the person reads the field's message at the form instead
// of the store's refusal (internal/store/widths.go) after it.
//
// The limits of the fields people type, each the width of the column it is stored in
// (TestLimitsAreTheColumnWidths reads them from the SQL Server migrations).
const (
	MaxReason        = 500  // DeviceBulkChange.Reason, DeviceIdentifierChangeHistory.ChangeReason
	MaxTenantName    = 200  // Tenant.Name
	MaxTimeZone      = 64   // Tenant.TimeZone
	MaxEmail         = 320  // AppUser.Email, ServiceProvider.NotificationEmail and FromEmail
	MaxDisplayName   = 200  // AppUser.DisplayName
	MaxTokenName     = 100  // ApiToken.Name
	MaxProviderName  = 100  // ServiceProvider.Name (its DisplayName, 200, is the same text)
	MaxBaseURL       = 500  // ThingSpaceAuthentication.BaseUrl
	MaxAccountNumber = 50   // ThingSpaceAuthentication.AccountNumber
	MaxClientID      = 200  // ThingSpaceAuthentication.ClientId
	MaxUWSUser       = 200  // ThingSpaceAuthentication.Username
	MaxRuleField     = 100  // TenantAssignmentRule.FieldName
	MaxRuleValue     = 200  // TenantAssignmentRule.FieldValue
	MaxWebhookURL    = 2000 // WebhookEndpoint.Url
	MaxRecipients    = 2000 // ReportSchedule.Recipients (the cleaned list, ", " between addresses)
	MaxManufacturer  = 100  // IMEI_DeviceType_CarrierRatePlan.Manufacturer (device model CSV)
	MaxModel         = 100  // IMEI_DeviceType_CarrierRatePlan.Model
)

// MaxSecretBytes bounds a carrier secret (client secret, UWS password) in UTF-8 bytes: it is
// stored sealed, "gcm1:" and the base64 of a 12-byte nonce, the bytes and a 16-byte tag, in
// NVARCHAR(1000); 700 bytes seal to 977 characters (716 would be the most).
const MaxSecretBytes = 700

// TextLen is the length of s in UTF-16 code units, as an NVARCHAR column and a browser's
// maxlength count it. A byte that is not UTF-8 counts as one (it is stored as U+FFFD).
func TextLen(s string) int {
	n := 0
	for _, r := range s {
		if r == utf8.RuneError {
			n++
			continue
		}
		n += utf16.RuneLen(r)
	}
	return n
}

// TooLong is the field's message when s is longer than max UTF-16 units, else "". field names
// it for a person, capitalised ("The reason").
func TooLong(field, s string, max int) string {
	n := TextLen(s)
	if n <= max {
		return ""
	}
	if n != utf8.RuneCountInString(s) {
		return fmt.Sprintf("%s has %d characters, counting each emoji (or other character outside the Basic Multilingual Plane) as two; at most %d fit.", field, n, max)
	}
	return fmt.Sprintf("%s has %d characters; at most %d fit.", field, n, max)
}

// CheckLen is TooLong as an apperr.Invalid, or nil.
func CheckLen(field, s string, max int) error {
	if msg := TooLong(field, s, max); msg != "" {
		return apperr.E(apperr.Invalid, "%s", msg)
	}
	return nil
}

// CutText cuts s to at most max UTF-16 units, never inside a character: for text idswap writes
// itself from a person's ("Retry of …: " and the original reason).
func CutText(s string, max int) string {
	n := 0
	for i, r := range s {
		size := 1
		if r != utf8.RuneError {
			size = utf16.RuneLen(r)
		}
		if n+size > max {
			return s[:i]
		}
		n += size
	}
	return s
}
