// Package thingspace is the client for the Verizon ThingSpace Connectivity
// Management (M2M) REST API: OAuth token, M2M session, change device
// identifier, device list and lookup, service plans, callback listeners, and
// the decoding of callback bodies. /work/shared/docs/thingspace-api.md is the
// reference; section numbers in comments point into it.
//
// Authentication has two steps. An OAuth2 client-credentials token (key and
// secret as HTTP Basic, through golang.org/x/oauth2/clientcredentials) is the
// bearer of every request, including the M2M login; the login gives the
// VZ-M2M-Token session header. Both are cached per Client and shared by its
// goroutines. A 401 refetches the token once; a ...SessionToken.Expired error
// logs in once; then the call is repeated. Logins are single-flight and never
// repeated in a loop, because five refused logins lock the carrier user.
//
// Every error is an *APIError with an ErrorClass the engine acts on; the
// client does not sleep and retry throttling or 5xx itself. Config.Observer
// receives each HTTP exchange with credentials redacted, for the audit log.
//
// Wire types (requests, responses, callbacks) are exported so the simulator
// in package tssim serves exactly the shapes this client reads.
package thingspace
