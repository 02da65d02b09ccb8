package thingspace

import (
	"encoding/json"
	"strings"
)

// Device identifier kinds as the client sends them. The carrier answers in
// any letter case ("Iccid", "ICCID", "iccId"), so compare with [KindIs] or
// [DeviceID.Is], never with ==.
const (
	KindICCID  = "iccid"
	KindIMEI   = "imei"
	KindMDN    = "mdn"
	KindMSISDN = "msisdn"
	KindEID    = "eid"
	KindMEID   = "meid"
	KindESN    = "esn"
	KindIMSI   = "imsi"
	KindMIN    = "min"
)

// KindIs reports whether two identifier kinds are the same, ignoring letter case.
func KindIs(a, b string) bool { return strings.EqualFold(a, b) }

// DeviceID is one identifier of a device: {"id": "...", "kind": "iccid"}.
type DeviceID struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// Is reports whether d is of the given kind, ignoring letter case.
func (d DeviceID) Is(kind string) bool { return KindIs(d.Kind, kind) }

// FindID returns the first identifier of the given kind (any letter case).
func FindID(ids []DeviceID, kind string) (string, bool) {
	for _, d := range ids {
		if d.Is(kind) {
			return d.ID, true
		}
	}
	return "", false
}

// Change4GOption is the change4gOption of a change-identifier request. The
// carrier reads it case-insensitively; these are the documented spellings.
type Change4GOption string

// The documented change4gOption values (thingspace-api.md §2.3).
const (
	ChangeICCID        Change4GOption = "ChangeICCID"        // new SIM in the same device
	ChangeIMEI         Change4GOption = "ChangeIMEI"         // same SIM in a new device
	ChangeIMEIandICCID Change4GOption = "ChangeIMEIandICCID" // new device and new SIM
	ChangeMSISDN       Change4GOption = "ChangeMSISDN"       // new phone number, no deviceIdsTo
	Change3Gto4G       Change4GOption = "3Gto4G"             // 3G device replaced by a 4G one
	Change4Gto3G       Change4GOption = "4Gto3G"             // 4G device replaced by a 3G one
	ChangeIMEIandEID   Change4GOption = "ChangeIMEIandEID"   // eUICC device swap, needs smsrOid
)

// Change4GOptions lists every documented option, for validation and menus.
func Change4GOptions() []Change4GOption {
	return []Change4GOption{ChangeICCID, ChangeIMEI, ChangeIMEIandICCID, ChangeMSISDN, Change3Gto4G, Change4Gto3G, ChangeIMEIandEID}
}

// ParseChange4GOption maps any letter case of a documented option to its
// constant; ok is false for an unknown option.
func ParseChange4GOption(s string) (opt Change4GOption, ok bool) {
	for _, o := range Change4GOptions() {
		if strings.EqualFold(string(o), s) {
			return o, true
		}
	}
	return "", false
}

// ChangeIdentifierRequest is the body of
// PUT /api/m2m/v1/devices/{serviceType}/actions/deviceId.
type ChangeIdentifierRequest struct {
	// DeviceIDs names the line to change by any of its current identifiers.
	DeviceIDs []DeviceID `json:"deviceIds"`
	// DeviceIDsTo holds the new identifier(s); empty for ChangeMSISDN.
	DeviceIDsTo    []DeviceID     `json:"deviceIdsTo,omitempty"`
	Change4GOption Change4GOption `json:"change4gOption,omitempty"`
	// ServicePlan is a plan code (not a name) to switch to in the same change.
	ServicePlan string `json:"servicePlan,omitempty"`
	// AssignNonGeoMdn is a pointer because false is meaningful (use npaNxx).
	AssignNonGeoMdn *bool  `json:"assignNonGeoMdn,omitempty"`
	ZipCode         string `json:"zipCode,omitempty"`
	NpaNxx          string `json:"npaNxx,omitempty"`
	SmsrOid         string `json:"smsrOid,omitempty"`
}

// RequestIDResponse is the synchronous answer of every asynchronous action:
// the carrier accepted the request; the result comes by callback.
type RequestIDResponse struct {
	RequestID string `json:"requestId"`
}

// KeyValue is the carrier's key/value pair (custom fields, extended
// attributes). Value is omitted when the carrier omits it.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// LoginRequest is the body of POST /api/m2m/v1/session/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// SessionResponse is the answer to login and logout.
type SessionResponse struct {
	SessionToken string `json:"sessionToken"`
}

// ServicePlan is one entry of GET /api/m2m/v1/plans/{accountName}. Code is
// what requests send; Name is for people.
type ServicePlan struct {
	Name                   string                     `json:"name"`
	Code                   string                     `json:"code"`
	SizeKb                 int64                      `json:"sizeKb"`
	CarrierServicePlanCode string                     `json:"carrierServicePlanCode"`
	ExtendedAttributes     []KeyValue                 `json:"extendedAttributes,omitempty"`
	Extra                  map[string]json.RawMessage `json:"-"`
}

type servicePlanFields ServicePlan

// UnmarshalJSON keeps unknown keys in Extra.
func (p *ServicePlan) UnmarshalJSON(data []byte) error {
	var f servicePlanFields
	extra, err := decodeWithExtra(data, &f)
	if err != nil {
		return err
	}
	*p = ServicePlan(f)
	p.Extra = extra
	return nil
}

// MarshalJSON writes Extra back out.
func (p ServicePlan) MarshalJSON() ([]byte, error) {
	return encodeWithExtra(servicePlanFields(p), p.Extra)
}

// ErrorResponse is the body of an M2M application error (HTTP 400).
type ErrorResponse struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// GatewayFault is the body of an API gateway (WSO2) error such as an invalid
// bearer token or throttling.
type GatewayFault struct {
	Fault GatewayFaultDetail `json:"fault"`
}

// GatewayFaultDetail is the inside of a [GatewayFault].
type GatewayFaultDetail struct {
	Code        FaultCode `json:"code"`
	Message     string    `json:"message"`
	Description string    `json:"description,omitempty"`
}

// FaultCode is a gateway fault code. The doc shows it as a string ("900901")
// but WSO2 versions also send a bare number, so both decode.
type FaultCode string

// UnmarshalJSON accepts a JSON string or number.
func (c *FaultCode) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*c = FaultCode(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	*c = FaultCode(n.String())
	return nil
}

// OAuthError is the body of a refused token request (RFC 6749 §5.2).
type OAuthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// OAuthToken is the body of a granted token request. The client decodes it
// through x/oauth2; the type is here for the simulator.
type OAuthToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}
