package change

import (
	"encoding/json"
	"fmt"
)

// Request is the ChangeRequest JSON stored on each M2M_DeviceChange row. It keeps the legacy
// envelope (UpdateStatus, IsIgnoreCurrentStatus, PostUpdateStatusId, Request) so that reports
// written against the old system still read it, and adds what idswap needs to send the change
// without looking anything up again.
type Request struct {
	UpdateStatus          *string    `json:"UpdateStatus"`
	IsIgnoreCurrentStatus bool       `json:"IsIgnoreCurrentStatus"`
	PostUpdateStatusId    int        `json:"PostUpdateStatusId"`
	Request               Identifier `json:"Request"`
}

// Identifier is the inner legacy BulkChangeUpdateIdentifier plus idswap's fields.
type Identifier struct {
	// IdentifierType is "ICCID" or "IMEI" in the legacy model; for a change of both it is
	// "IMEI", as the legacy controller made IMEI win.
	IdentifierType      string `json:"IdentifierType"`
	OldICCID            string `json:"OldICCID"`
	NewICCID            string `json:"NewICCID"`
	OldIMEI             string `json:"OldIMEI"`
	NewIMEI             string `json:"NewIMEI"`
	AddCustomerRatePlan bool   `json:"AddCustomerRatePlan"`
	CustomerRatePlan    string `json:"CustomerRatePlan"`
	CustomerRatePool    string `json:"CustomerRatePool"`

	// idswap's additions.
	Change4gOption     Type   `json:"Change4gOption"`
	Current            string `json:"Current"`            // the identifier as the user gave it
	CurrentKind        string `json:"CurrentKind"`        // ICCID, IMEI, MDN or EID
	MSISDN             string `json:"MSISDN"`             // the line's MDN when the row was made
	CurrentServicePlan string `json:"CurrentServicePlan"` // plan code before the change
	ServicePlan        string `json:"ServicePlan"`        // plan code to send; "" keeps the current plan
	NetworkType        string `json:"NetworkType"`        // of the device after the change
	Reason             string `json:"Reason"`
}

// NewRequest builds the ChangeRequest of one row.
func NewRequest(t Type, id Identifier) Request {
	id.Change4gOption = t
	id.IdentifierType = "ICCID"
	if t.NeedsIMEI() {
		id.IdentifierType = "IMEI"
	}
	return Request{Request: id}
}

// Marshal returns the JSON stored in M2M_DeviceChange.ChangeRequest.
func (r Request) Marshal() string {
	b, err := json.Marshal(r)
	if err != nil {
		// Request holds only strings, bools and ints; this cannot fail.
		panic(fmt.Sprintf("change: marshal request: %v", err))
	}
	return string(b)
}

// ParseRequest reads a stored ChangeRequest.
func ParseRequest(s string) (Request, error) {
	var r Request
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, fmt.Errorf("change: parse ChangeRequest: %w", err)
	}
	if _, err := ParseType(string(r.Request.Change4gOption)); err != nil {
		return r, fmt.Errorf("change: ChangeRequest has no valid Change4gOption: %w", err)
	}
	return r, nil
}
