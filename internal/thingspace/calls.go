package thingspace

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ChangeIdentifier sends PUT /api/m2m/v1/devices/{serviceType}/actions/deviceId
// and returns the carrier's requestId. Success only means "accepted": the
// result arrives later as a CarrierService callback with the same requestId.
//
// The carrier has no idempotency contract: a resent request is a second
// change. After an error of class ClassUnavailable (timeout, 5xx) the change
// may have been accepted; look at the device before sending it again.
func (c *Client) ChangeIdentifier(ctx context.Context, req ChangeIdentifierRequest) (string, error) {
	if c.cfg.ServiceType == "" {
		return "", &APIError{Op: OpChangeIdentifier, Class: ClassInvalid, Message: "Config.ServiceType is empty"}
	}
	var out RequestIDResponse
	_, err := c.do(ctx, call{
		op: OpChangeIdentifier, method: http.MethodPut, session: true, body: req,
		url: c.m2m("/devices/" + url.PathEscape(c.cfg.ServiceType) + "/actions/deviceId"),
	}, &out)
	if err != nil {
		return "", err
	}
	if out.RequestID == "" {
		return "", &APIError{Op: OpChangeIdentifier, Class: ClassUnavailable, HTTPStatus: http.StatusOK, Message: "accepted without a requestId"}
	}
	return out.RequestID, nil
}

// ListDevices fetches one page of POST /api/m2m/v1/devices/actions/list.
// An empty AccountName is filled with the client's account. HTTP 202 means
// "more data" and is success; HasMoreData is then true.
func (c *Client) ListDevices(ctx context.Context, req ListDevicesRequest) (*DeviceListPage, error) {
	return c.listDevices(ctx, OpListDevices, req)
}

func (c *Client) listDevices(ctx context.Context, op string, req ListDevicesRequest) (*DeviceListPage, error) {
	if req.AccountName == "" {
		req.AccountName = c.cfg.AccountName
	}
	var page DeviceListPage
	status, err := c.do(ctx, call{op: op, method: http.MethodPost, session: true, body: req, url: c.m2m("/devices/actions/list")}, &page)
	if err != nil {
		return nil, err
	}
	if status == http.StatusAccepted {
		page.HasMoreData = true
	}
	return &page, nil
}

// AllDevices calls fn once for every device matching req, page after page.
// It stops at the first error from fn or the carrier.
//
// The carrier's response model has no paging cursor (thingspace-api.md
// §12.2): largestDeviceIdSeen is a request field, and devices carry no
// internal id to compute it from. So:
//
//   - When a page does carry largestDeviceIdSeen (some gateways, or the
//     simulator with -list-cursor), the next request sends it back.
//   - Otherwise the next request moves earliest, which the carrier reads as
//     "added after" (exclusive), to one second before the creation time of
//     the page's last device. Asking from that last instant itself would
//     skip devices created at the same instant that did not fit on the page;
//     asking from just before it brings back the boundary devices already
//     seen, and those are dropped by identifier (a device is a repeat when
//     any of its identifiers was seen, which also hides a device whose SIM
//     was swapped between two pages). One second because createdAt has
//     second precision on the wire.
//   - A page with more data that brings no device not seen before is a
//     repeat: more devices share one instant than a page holds, or the
//     carrier ignored earliest. AllDevices then stops with an error rather
//     than loop or skip devices; a larger page size gets past the first.
//
// req.MaxNumberOfDevices zero means Config.ListPageSize.
func (c *Client) AllDevices(ctx context.Context, req ListDevicesRequest, fn func(Device) error) error {
	if req.MaxNumberOfDevices <= 0 {
		req.MaxNumberOfDevices = c.cfg.ListPageSize
	}
	var floor time.Time // the caller's own earliest, never moved below
	if req.Earliest != "" {
		t, err := time.Parse(time.RFC3339, req.Earliest)
		if err != nil {
			return &APIError{Op: OpListDevices, Class: ClassInvalid, Message: fmt.Sprintf("earliest %q is not RFC 3339: %v", req.Earliest, err)}
		}
		floor = t
	}
	// seen holds the identifiers of devices that a later page may list again, with their
	// creation time: only those created after the next page's earliest can come back, so
	// the rest are dropped after each page and the set stays the size of the overlap, not
	// of the account (at 100,000 lines it had held 300,000 identifiers).
	seen := map[DeviceID]time.Time{}
	for {
		page, err := c.ListDevices(ctx, req)
		if err != nil {
			return err
		}
		fresh, last, err := visitPage(page, seen, fn)
		if err != nil {
			return err
		}
		if !page.HasMoreData {
			return nil
		}
		if page.LargestDeviceIDSeen > 0 {
			if page.LargestDeviceIDSeen <= req.LargestDeviceIDSeen {
				return &APIError{Op: OpListDevices, Class: ClassUnavailable,
					Message: fmt.Sprintf("the device list repeated: the paging cursor did not move past %d", req.LargestDeviceIDSeen)}
			}
			req.LargestDeviceIDSeen = page.LargestDeviceIDSeen
			continue
		}
		if fresh == 0 {
			return &APIError{Op: OpListDevices, Class: ClassUnavailable,
				Message: fmt.Sprintf("the device list repeated: a page of %d devices from earliest %q brought none not seen before; "+
					"more devices may share one creation time than a page holds (raise the page size, at most the SDK's bound)",
					len(page.Devices), req.Earliest)}
		}
		if last.IsZero() {
			return &APIError{Op: OpListDevices, Class: ClassUnavailable,
				Message: "the carrier reported more devices but the page's devices have no createdAt to page from"}
		}
		next := last.Truncate(time.Second).Add(-time.Second)
		if next.Before(floor) {
			next = floor
		}
		req.Earliest = next.Format(time.RFC3339)
		for id, created := range seen {
			if !created.After(next) {
				delete(seen, id) // earliest is exclusive: this device cannot be listed again
			}
		}
	}
}

// visitPage hands fn each device of page that no earlier page listed (marking it seen). fresh
// counts those devices; last is the newest creation time on the page, zero when none has one.
func visitPage(page *DeviceListPage, seen map[DeviceID]time.Time, fn func(Device) error) (fresh int, last time.Time, err error) {
	for _, d := range page.Devices {
		created, perr := time.Parse(time.RFC3339, d.CreatedAt)
		if perr == nil && created.After(last) {
			last = created
		}
		if repeat(seen, d, created) {
			continue
		}
		fresh++
		if err := fn(d); err != nil {
			return fresh, last, err
		}
	}
	return fresh, last, nil
}

// repeat reports whether any identifier of d was seen before, and marks all
// of them seen, created at created. Kinds are compared in lower case.
func repeat(seen map[DeviceID]time.Time, d Device, created time.Time) bool {
	dup := false
	for _, id := range d.DeviceIDs {
		if id.ID == "" {
			continue
		}
		k := DeviceID{ID: id.ID, Kind: strings.ToLower(id.Kind)}
		if _, ok := seen[k]; ok {
			dup = true
		}
		seen[k] = created
	}
	return dup
}

// FindDevice looks up one device by any identifier. A device the carrier
// does not know is an *APIError of class ClassNotFound, whether the carrier
// says so with ...DeviceNotFound or with an empty list.
func (c *Client) FindDevice(ctx context.Context, id DeviceID) (*Device, error) {
	page, err := c.listDevices(ctx, OpFindDevice, ListDevicesRequest{DeviceID: &id})
	if err != nil {
		return nil, err
	}
	for i, d := range page.Devices {
		if got, ok := d.ID(id.Kind); ok && got == id.ID {
			return &page.Devices[i], nil
		}
	}
	if len(page.Devices) > 0 {
		// The carrier matched on something we cannot see; trust it.
		return &page.Devices[0], nil
	}
	return nil, &APIError{Op: OpFindDevice, Class: ClassNotFound, HTTPStatus: http.StatusOK,
		Message: fmt.Sprintf("no device with %s %s", id.Kind, id.ID)}
}

// Plans lists the account's service plans (GET /api/m2m/v1/plans/{accountName}).
func (c *Client) Plans(ctx context.Context) ([]ServicePlan, error) {
	var plans []ServicePlan
	_, err := c.do(ctx, call{op: OpPlans, method: http.MethodGet, session: true,
		url: c.m2m("/plans/" + url.PathEscape(c.cfg.AccountName))}, &plans)
	return plans, err
}

// RegisterCallback registers (or replaces) the account's listener for a
// callback service such as ServiceCarrier. username and password are
// optional; the carrier echoes them in every callback body.
func (c *Client) RegisterCallback(ctx context.Context, name, listenerURL, username, password string) error {
	var out CallbackAccountResponse
	_, err := c.do(ctx, call{op: OpRegisterCallback, method: http.MethodPost, session: true,
		url:  c.m2m("/callbacks/" + url.PathEscape(c.cfg.AccountName)),
		body: RegisterCallbackRequest{Name: name, URL: listenerURL, Username: username, Password: password}}, &out)
	return err
}

// ListCallbacks lists the account's registered listeners.
func (c *Client) ListCallbacks(ctx context.Context) ([]CallbackListener, error) {
	var out []CallbackListener
	_, err := c.do(ctx, call{op: OpListCallbacks, method: http.MethodGet, session: true,
		url: c.m2m("/callbacks/" + url.PathEscape(c.cfg.AccountName))}, &out)
	return out, err
}

// DeleteCallback removes the account's listener for a callback service.
func (c *Client) DeleteCallback(ctx context.Context, name string) error {
	var out CallbackAccountResponse
	_, err := c.do(ctx, call{op: OpDeleteCallback, method: http.MethodDelete, session: true,
		url: c.m2m("/callbacks/" + url.PathEscape(c.cfg.AccountName) + "/name/" + url.PathEscape(name))}, &out)
	return err
}

// Logout ends the cached M2M session, if any. It never logs in to log out; a
// session the carrier already expired counts as logged out. Callbacks keep
// coming after a logout.
func (c *Client) Logout(ctx context.Context) error {
	sess := c.session.current()
	if sess == "" {
		return nil
	}
	var out SessionResponse
	_, err := c.do(ctx, call{op: OpLogout, method: http.MethodPost, logout: true, url: c.m2m("/session/logout")}, &out)
	if err == nil || ClassOf(err) == ClassSessionExpired {
		c.session.invalidate(sess)
		return nil
	}
	return err
}
