package views

// AdminAttentionPageModel is the "needs attention" list: finished rows the carrier
// contradicted in a way only an admin can settle, oldest first.
type AdminAttentionPageModel struct {
	Layout
	Rows []AttentionRow
	// More says the list was cut at its limit: settling rows shows the next ones.
	More bool
}

// AttentionRow is one flagged row and its "Mark settled" form.
type AttentionRow struct {
	BulkChangeID       int64
	RequestURL, RowLog string
	DeviceID           int64 // 0: the row names no device
	DeviceURL          string
	OldICCID, NewICCID string
	OldIMEI, NewIMEI   string
	MSISDN, Status     string
	Reason, Since      string
	SettleURL          string
}
