package thingspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Callback service names used by this project. The carrier knows more
// (thingspace-api.md §3.3); any name can be passed to RegisterCallback.
const (
	// ServiceCarrier receives the result of every identifier change.
	ServiceCarrier = "CarrierService"
)

// Callback statuses as the carrier writes them; compare case-insensitively.
const (
	CallbackSuccess = "Success"
	CallbackFailed  = "Failed"
)

// Callback is a callback body the carrier POSTs to a registered listener.
// DeviceResponse (success) and FaultResponse (failure) are the two outcomes;
// other services put their data under other top-level keys, kept in Extra.
type Callback struct {
	// Username and Password are the ones given at registration, echoed in
	// clear text so the listener can check them.
	Username  string     `json:"username"`
	Password  string     `json:"password"`
	RequestID string     `json:"requestId"`
	DeviceIDs []DeviceID `json:"deviceIds"`
	// DeviceResponse is keyed by operation, e.g. "changeIdentifierResponse";
	// the names for other operations are UNCONFIRMED, so it stays raw.
	DeviceResponse map[string]json.RawMessage `json:"deviceResponse,omitempty"`
	FaultResponse  *Fault                     `json:"faultResponse,omitempty"`
	Status         string                     `json:"status,omitempty"`
	// CallbackCount is the delivery attempt (1 = first); redeliveries and
	// duplicates are possible, so listeners de-duplicate on RequestID + device.
	CallbackCount        int                        `json:"callbackCount,omitempty"`
	MaxCallbackThreshold int                        `json:"maxCallbackThreshold,omitempty"`
	Extra                map[string]json.RawMessage `json:"-"`
}

type callbackFields Callback

// UnmarshalJSON keeps unknown keys in Extra.
func (cb *Callback) UnmarshalJSON(data []byte) error {
	var f callbackFields
	extra, err := decodeWithExtra(data, &f)
	if err != nil {
		return err
	}
	*cb = Callback(f)
	cb.Extra = extra
	return nil
}

// MarshalJSON writes Extra back out.
func (cb Callback) MarshalJSON() ([]byte, error) {
	return encodeWithExtra(callbackFields(cb), cb.Extra)
}

// Fault is the faultResponse of a failed asynchronous request. FaultCode is
// "<Service>.<CODE>"; match on the code part, the text can change.
type Fault struct {
	FaultCode   string `json:"faultcode"`
	FaultString string `json:"faultstring"`
}

// ChangeIdentifierResponse is deviceResponse.changeIdentifierResponse of a
// successful identifier change.
type ChangeIdentifierResponse struct {
	// DeviceIDs are the new identifier(s) of the line.
	DeviceIDs []DeviceID `json:"deviceIds"`
	// ServicePlan is the line's plan code after the change.
	ServicePlan string `json:"servicePlan,omitempty"`
}

// KeyChangeIdentifierResponse is the deviceResponse key of an identifier change.
const KeyChangeIdentifierResponse = "changeIdentifierResponse"

// ParseCallback decodes a callback body. It tolerates unknown keys and
// refuses only bodies that are not a JSON object or lack a requestId.
func ParseCallback(body []byte) (*Callback, error) {
	var cb Callback
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, fmt.Errorf("thingspace: callback body: %w", err)
	}
	if cb.RequestID == "" {
		return nil, errors.New("thingspace: callback body has no requestId")
	}
	return &cb, nil
}

// Outcome is what a callback says about its request: one of three, because
// the carrier's callback has no model in its SDK (thingspace-api.md §12.3)
// and a body can leave the result open.
type Outcome int

const (
	// OutcomeUnclear: no status, a status we do not know, or a status the
	// body contradicts. Only the line itself can tell; ask the carrier.
	OutcomeUnclear Outcome = iota
	// OutcomeSucceeded: status "Success" and no faultResponse.
	OutcomeSucceeded
	// OutcomeFailed: status "Failed" and no changeIdentifierResponse.
	OutcomeFailed
)

func (o Outcome) String() string {
	switch o {
	case OutcomeSucceeded:
		return "succeeded"
	case OutcomeFailed:
		return "failed"
	}
	return "unclear"
}

// Outcome reads the callback without guessing: the documented shapes are
// status "Success" with deviceResponse, and status "Failed" with
// faultResponse (§2.6). Anything else is OutcomeUnclear, with why, so a
// missing field never fails a change the carrier may have made.
func (cb *Callback) Outcome() (Outcome, string) {
	_, hasResult := cb.ChangeIdentifierResult()
	switch {
	case cb.Status == "":
		return OutcomeUnclear, "the callback has no status"
	case strings.EqualFold(cb.Status, CallbackSuccess) && cb.FaultResponse != nil:
		return OutcomeUnclear, "the callback says Success but carries a faultResponse"
	case strings.EqualFold(cb.Status, CallbackSuccess):
		return OutcomeSucceeded, ""
	case strings.EqualFold(cb.Status, CallbackFailed) && hasResult:
		return OutcomeUnclear, "the callback says Failed but carries a changeIdentifierResponse"
	case strings.EqualFold(cb.Status, CallbackFailed):
		return OutcomeFailed, ""
	}
	return OutcomeUnclear, fmt.Sprintf("the callback has an unknown status %q", cb.Status)
}

// Succeeded reports whether the outcome is OutcomeSucceeded.
func (cb *Callback) Succeeded() bool {
	o, _ := cb.Outcome()
	return o == OutcomeSucceeded
}

// ChangeIdentifierResult decodes deviceResponse.changeIdentifierResponse;
// ok is false when the callback has none (or it does not decode).
func (cb *Callback) ChangeIdentifierResult() (res ChangeIdentifierResponse, ok bool) {
	raw, found := cb.DeviceResponse[KeyChangeIdentifierResponse]
	if !found {
		// Fall back to any letter case of the key, as with kinds.
		for k, v := range cb.DeviceResponse {
			if strings.EqualFold(k, KeyChangeIdentifierResponse) {
				raw, found = v, true
				break
			}
		}
	}
	if !found || json.Unmarshal(raw, &res) != nil {
		return ChangeIdentifierResponse{}, false
	}
	return res, true
}

// NewDeviceIDs returns the line's new identifiers from
// deviceResponse.changeIdentifierResponse.deviceIds, or nil when absent.
func (cb *Callback) NewDeviceIDs() []DeviceID {
	res, _ := cb.ChangeIdentifierResult()
	return res.DeviceIDs
}

// RegisterCallbackRequest is the body of POST /api/m2m/v1/callbacks/{accountName}.
type RegisterCallbackRequest struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// CallbackAccountResponse is the answer to registering or deleting a listener.
type CallbackAccountResponse struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
}

// CallbackListener is one entry of GET /api/m2m/v1/callbacks/{accountName};
// username and password are empty strings when unset.
type CallbackListener struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
	URL         string `json:"url"`
	Username    string `json:"username"`
	Password    string `json:"password"`
}
