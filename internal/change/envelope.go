package change

import (
	"encoding/json"
	"fmt"
)

// Envelope is the ChangeRequest JSON stored on each row (M2M_DeviceChange.ChangeRequest). It
// keeps the legacy envelope (UpdateStatus, IsIgnoreCurrentStatus, PostUpdateStatusId, Request)
// so that reports written against the old system still read it, and adds what idswap needs to
// send the change without looking anything up again. The legacy JSON calls the inner object
// "Request"; in Go it is Identifier, so that a row's reason reads e.Identifier.Reason.
type Envelope struct {
	UpdateStatus          *string    `json:"UpdateStatus"`
	IsIgnoreCurrentStatus bool       `json:"IsIgnoreCurrentStatus"`
	PostUpdateStatusId    int        `json:"PostUpdateStatusId"`
	Identifier            Identifier `json:"Request"`
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

// NewEnvelope builds the ChangeRequest of one row.
func NewEnvelope(t Type, id Identifier) Envelope {
	id.Change4gOption = t
	id.IdentifierType = "ICCID"
	if t.NeedsIMEI() {
		id.IdentifierType = "IMEI"
	}
	return Envelope{Identifier: id}
}

// Marshal returns the JSON stored in M2M_DeviceChange.ChangeRequest.
func (e Envelope) Marshal() string {
	b, err := json.Marshal(e)
	if err != nil {
		// Envelope holds only strings, bools and ints; this cannot fail.
		panic(fmt.Sprintf("change: marshal ChangeRequest: %v", err))
	}
	return string(b)
}

// ParseEnvelope reads a stored ChangeRequest.
func ParseEnvelope(s string) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return e, fmt.Errorf("change: parse ChangeRequest: %w", err)
	}
	if _, err := ParseType(string(e.Identifier.Change4gOption)); err != nil {
		return e, fmt.Errorf("change: ChangeRequest has no valid Change4gOption: %w", err)
	}
	return e, nil
}
