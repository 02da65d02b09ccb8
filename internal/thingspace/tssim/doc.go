// Package tssim simulates the Verizon ThingSpace M2M API for tests, the demo
// and `idswap tssim`: the same paths, headers and JSON shapes as the carrier
// (it uses package thingspace's wire types), in-memory carrier state (lines,
// spare SIMs, spare devices, plans), asynchronous CarrierService callbacks,
// and knobs for latency, errors, hangs, throttling, token and session
// lifetimes, dropped and duplicated callbacks. Every random decision comes
// from Config.Seed, so the same requests in the same order give the same run.
//
// # Authentication
//
// POST /api/ts/v1/oauth2/token takes the key and secret as HTTP Basic and
// grant_type=client_credentials; it returns the same token until it expires
// (Config.TokenLifetime). Every /api/m2m/v1 call needs "Authorization: Bearer"
// (missing: 401 fault 900902; wrong or expired: 401 fault 900901). Login needs
// the bearer and the account's username and password; five refused logins in
// a row lock the user (code ...Login.Locked) until Unlock or a fresh state.
// Other calls need VZ-M2M-Token: missing → 400 ...SessionToken.Format, not a
// GUID → 400 ...SessionToken.Invalid, unknown, logged out or idle longer than
// Config.SessionIdle → 400 ...SessionToken.Expired.
//
// # Change identifier: which refusals are synchronous
//
// PUT /api/m2m/v1/devices/{serviceType}/actions/deviceId accepts the
// serviceType values of Config.ServiceTypes (default "4G"; the carrier
// documents none). Checks made at once, answered HTTP 400 {errorCode,errorMessage}:
//
//	serviceType not configured                  ...INPUT_INVALID.ServiceType.Invalid (UNCONFIRMED)
//	body not JSON                               UnifiedWebService.DeserializationFailed
//	change4gOption missing or unknown           ...INPUT_INVALID.Change4GOption.Invalid (UNCONFIRMED)
//	deviceIds, needed deviceIdsTo kind, smsrOid,
//	  npaNxx/zipCode missing                    ...INPUT_INVALID.RequestUndefined
//	unknown kind                                ...INPUT_INVALID.Device.Kind.Invalid
//	malformed identifier (strict: check digits) ...INPUT_INVALID.Device.Identifier.Invalid
//	no line holds the identifier                ...REQUEST_FAILED.DeviceNotFound
//	line in another account                     ...INPUT_INVALID.Device.Account.Invalid
//	line not active, or without MDN             ...INPUT_INVALID.DeviceState.Invalid
//	unknown servicePlan code                    ...REQUEST_FAILED._servicePlan_.NotFound
//	injected Fault{Sync: true}                  its code
//
// An accepted change answers {"requestId"}; after Config.CallbackDelay the
// simulator checks the rest against the state at that moment and either
// applies the change or fails it, and POSTs the result to the account's
// CarrierService listener. Refusals that come back as faultResponse
// (status "Failed"), all UNCONFIRMED names in the carrier's style:
//
//	new ICCID on a line, or retired from one    ...REQUEST_FAILED.ICCID.AlreadyInUse
//	new ICCID not a SIM the carrier knows       ...REQUEST_FAILED.ICCID.NotFound
//	new IMEI on a line                          ...REQUEST_FAILED.IMEI.AlreadyInUse
//	new EID on a line                           ...REQUEST_FAILED.EID.AlreadyInUse
//	plan does not support the device's network  ...REQUEST_FAILED.ServicePlan.Incompatible
//	no free MDN (ChangeMSISDN)                  ...REQUEST_FAILED.MDN.NotAvailable
//	injected Fault{Sync: false}                 its code
//
// A successful change shows in the device list from the moment it is
// applied; the old identifiers stop finding the line, and an old ICCID can
// never be used again. With no listener registered the change still applies
// and its result is lost, as at the carrier. Unacknowledged callbacks are
// sent up to MaxCallbackAttempts times, Config.CallbackRetryInterval apart.
//
// # Device list paging
//
// POST /api/m2m/v1/devices/actions/list answers 202 with hasMoreData=true
// while more devices follow. Like the carrier's response model (§12.2) it
// sends no cursor unless Config.ListCursor asks for largestDeviceIdSeen;
// without one, devices come in creation order and earliest is exclusive
// ("added after"). maxNumberOfDevices over Config.MaxPageSize (default 100,
// the SDK's bound) is refused. A single-device query (deviceId) for an
// unknown device answers 400 ...DeviceNotFound.
//
// The token endpoint compares the Basic key and secret raw, as the
// carrier's SDK sends them: URL-encoded credentials are refused.
//
// # Simulator endpoints
//
// GET /sim/v1/stock lists spare SIMs and devices the carrier would accept;
// GET /sim/v1/stats returns Stats. Neither needs authentication.
package tssim
