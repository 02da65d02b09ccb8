package tssim

// Error codes the simulator sends. Codes from thingspace-api.md §8 are used
// as documented; the ones marked UNCONFIRMED are our own names in the
// carrier's style, because the carrier's codes for these cases are unknown.
const (
	// Synchronous (HTTP 400 {"errorCode","errorMessage"}).
	CodeDeserializationFailed = "UnifiedWebService.DeserializationFailed"
	CodeRequestUndefined      = "UnifiedWebService.INPUT_INVALID.RequestUndefined"       // a required field is missing
	CodeChange4GOptionInvalid = "UnifiedWebService.INPUT_INVALID.Change4GOption.Invalid" // UNCONFIRMED
	CodeKindInvalid           = "UnifiedWebService.INPUT_INVALID.Device.Kind.Invalid"
	CodeIdentifierInvalid     = "UnifiedWebService.INPUT_INVALID.Device.Identifier.Invalid"
	CodeDeviceNotFound        = "UnifiedWebService.REQUEST_FAILED.DeviceNotFound"
	CodeDeviceAccountInvalid  = "UnifiedWebService.INPUT_INVALID.Device.Account.Invalid"
	CodeDeviceStateInvalid    = "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"
	CodeServicePlanNotFound   = "UnifiedWebService.REQUEST_FAILED._servicePlan_.NotFound"
	CodeAccountNotFound       = "UnifiedWebService.REQUEST_FAILED.AccountNotFound"
	CodeSessionExpired        = "UnifiedWebService.REQUEST_FAILED.SessionToken.Expired"
	CodeSessionFormat         = "UnifiedWebService.REQUEST_FAILED.SessionToken.Format"
	CodeSessionInvalid        = "UnifiedWebService.INPUT_INVALID.SessionToken.Invalid"
	CodeUnexpectedError       = "UnifiedWebService.REQUEST_FAILED.UnexpectedError"
	CodeLoginInvalid          = "UnifiedWebService.REQUEST_FAILED.Login.InvalidCredentials"    // UNCONFIRMED
	CodeLoginLocked           = "UnifiedWebService.REQUEST_FAILED.Login.Locked"                // UNCONFIRMED
	CodeCallbackNameInvalid   = "UnifiedWebService.INPUT_INVALID.Callback.ServiceName.Invalid" // UNCONFIRMED
	CodeCallbackURLInvalid    = "UnifiedWebService.INPUT_INVALID.Callback.URL.Invalid"         // UNCONFIRMED
	CodeCallbackNotFound      = "UnifiedWebService.REQUEST_FAILED.Callback.NotFound"           // UNCONFIRMED
	CodeMaxDevicesInvalid     = "UnifiedWebService.INPUT_INVALID.MaxNumberOfDevices"           // UNCONFIRMED: over the SDK's bound
	CodeServiceTypeInvalid    = "UnifiedWebService.INPUT_INVALID.ServiceType.Invalid"          // UNCONFIRMED
	CodeEarliestInvalid       = "UnifiedWebService.INPUT_INVALID.Earliest.Invalid"             // UNCONFIRMED

	// Asynchronous (callback faultResponse.faultcode, status "Failed").
	CodeICCIDUnknown     = "UnifiedWebService.REQUEST_FAILED.ICCID.NotFound"           // UNCONFIRMED: SIM unknown to the carrier
	CodeICCIDInUse       = "UnifiedWebService.REQUEST_FAILED.ICCID.AlreadyInUse"       // UNCONFIRMED: SIM on a line or retired
	CodeIMEIInUse        = "UnifiedWebService.REQUEST_FAILED.IMEI.AlreadyInUse"        // UNCONFIRMED
	CodeEIDInUse         = "UnifiedWebService.REQUEST_FAILED.EID.AlreadyInUse"         // UNCONFIRMED
	CodePlanIncompatible = "UnifiedWebService.REQUEST_FAILED.ServicePlan.Incompatible" // UNCONFIRMED
	CodeMDNUnavailable   = "UnifiedWebService.REQUEST_FAILED.MDN.NotAvailable"         // UNCONFIRMED
)

// Gateway fault codes (WSO2), sent as {"fault":{"code","message","description"}}.
const (
	FaultInvalidCredentials = "900901"
	FaultMissingCredentials = "900902"
	FaultNoResource         = "900906"
	FaultThrottled          = "900802"
	FaultBackendUnavailable = "101503"
	FaultBackendTimeout     = "101504"
)
