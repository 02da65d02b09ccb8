package tssim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
)

// callbackServices are the service names the carrier lets a listener
// register for (thingspace-api.md §3.3, register-page list plus the
// deregister page's "AlertsService" spelling).
func callbackServices() []string {
	return []string{"AlertService", "AlertsService", "CarrierService", "DevicePRLInformation", "DeviceProfileService",
		"DeviceService", "DeviceSuspensionStatus", "DeviceUsage", "DiagnosticsService", "EnhancedConnectivityService",
		"ExternalProvisioningChanges", "IntelligenceService", "NiddService", "PromoChanges",
		"ResumeTrackingNotification", "SMSDeliveryConfirmation", "StateService", "SubscriptionNotificationService"}
}

// callbackPortAllowed: the ports the carrier calls back on (§3.1).
func callbackPortAllowed(port int) bool {
	return port == 80 || port == 443 || (port >= 9001 && port <= 9006) ||
		(port >= 50551 && port <= 50559) || (port >= 28200 && port <= 28220)
}

// pathAccount checks the {accountName} of the path against the session's.
func pathAccount(w http.ResponseWriter, r *http.Request, c caller) bool {
	if r.PathValue("accountName") != c.account.Name {
		writeError(w, http.StatusBadRequest, CodeAccountNotFound, "Account "+r.PathValue("accountName")+" not found")
		return false
	}
	return true
}

func (s *Sim) handleRegisterCallback(w http.ResponseWriter, r *http.Request, c caller) {
	if !pathAccount(w, r, c) {
		return
	}
	var req thingspace.RegisterCallbackRequest
	if !decode(w, r, &req, false) {
		return
	}
	if req.Name == "" || req.URL == "" {
		writeError(w, http.StatusBadRequest, CodeRequestUndefined, "name and url are required")
		return
	}
	if !slices.Contains(callbackServices(), req.Name) {
		writeError(w, http.StatusBadRequest, CodeCallbackNameInvalid, "Unknown callback service "+req.Name)
		return
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeError(w, http.StatusBadRequest, CodeCallbackURLInvalid, "url must be an absolute http or https URL")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.CallbackPortAllowList {
		port := 80
		if u.Scheme == "https" {
			port = 443
		}
		if p := u.Port(); p != "" {
			port, _ = strconv.Atoi(p)
		}
		if !callbackPortAllowed(port) {
			writeError(w, http.StatusBadRequest, CodeCallbackURLInvalid, "Callback port "+strconv.Itoa(port)+" is not allowed")
			return
		}
	}
	// One URL per service per account: registering again replaces it.
	c.account.Listeners[req.Name] = thingspace.CallbackListener{
		AccountName: c.account.Name, ServiceName: req.Name, URL: req.URL, Username: req.Username, Password: req.Password,
	}
	s.persistLocked()
	writeJSON(w, http.StatusOK, thingspace.CallbackAccountResponse{AccountName: c.account.Name, ServiceName: req.Name})
}

func (s *Sim) handleListCallbacks(w http.ResponseWriter, r *http.Request, c caller) {
	if !pathAccount(w, r, c) {
		return
	}
	s.mu.Lock()
	out := make([]thingspace.CallbackListener, 0, len(c.account.Listeners))
	for _, l := range c.account.Listeners {
		out = append(out, l)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b thingspace.CallbackListener) int { return strings.Compare(a.ServiceName, b.ServiceName) })
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) handleDeleteCallback(w http.ResponseWriter, r *http.Request, c caller) {
	if !pathAccount(w, r, c) {
		return
	}
	name := r.PathValue("serviceName")
	s.mu.Lock()
	_, ok := c.account.Listeners[name]
	if ok {
		delete(c.account.Listeners, name)
		s.persistLocked()
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, CodeCallbackNotFound, "No "+name+" listener registered")
		return
	}
	writeJSON(w, http.StatusOK, thingspace.CallbackAccountResponse{AccountName: c.account.Name, ServiceName: name})
}

// deliver sends a change's callback: up to MaxCallbackAttempts POSTs until
// one is acknowledged with a 2xx, callbackCount counting the attempts; then
// maybe once more as a duplicate.
func (s *Sim) deliver(p *pendingChange, cb thingspace.Callback, listener *thingspace.CallbackListener) {
	s.mu.Lock()
	interval := s.cfg.CallbackRetryInterval
	if s.cfg.CallbacksWithoutStatus {
		cb.Status = ""
	}
	switch {
	case listener == nil:
		// As at the carrier: the change stands, its result is never seen.
		s.stats.CallbacksNoListener++
	case p.drop:
		s.stats.CallbacksDropped++
	}
	s.mu.Unlock()
	if listener == nil || p.drop {
		return
	}
	cb.Username, cb.Password = listener.Username, listener.Password
	cb.MaxCallbackThreshold = MaxCallbackAttempts
	s.mu.Lock()
	s.delivered[cb.RequestID] = sentCallback{account: p.account, cb: cb}
	s.mu.Unlock()
	for attempt := 1; attempt <= MaxCallbackAttempts; attempt++ {
		cb.CallbackCount = attempt
		body, _ := json.Marshal(cb)
		if s.post(listener.URL, body) {
			if p.duplicate {
				s.mu.Lock()
				s.stats.CallbacksDuplicated++
				s.mu.Unlock()
				s.post(listener.URL, body)
			}
			return
		}
		if attempt < MaxCallbackAttempts && !s.wait(interval) {
			return
		}
	}
	s.mu.Lock()
	s.stats.CallbacksAbandoned++
	s.mu.Unlock()
}

// post sends one callback and reports whether it was acknowledged.
func (s *Sim) post(target string, body []byte) bool {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.httpc.Do(req)
	acked := false
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		acked = resp.StatusCode >= 200 && resp.StatusCode < 300
	}
	s.mu.Lock()
	s.stats.CallbacksSent++
	if acked {
		s.stats.CallbacksAcknowledged++
	}
	s.mu.Unlock()
	return acked
}

// ReplayCallback posts the callback of an earlier request once more, byte for byte as it was
// first sent (the carrier redelivering an old result, or someone replaying it), to the
// CarrierService listener registered now. It reports whether the listener acknowledged it;
// false also when no callback was ever sent for requestID.
func (s *Sim) ReplayCallback(requestID string) bool {
	s.mu.Lock()
	sc, ok := s.delivered[requestID]
	var target string
	if a := s.accountLocked(sc.account); ok && a != nil {
		target = a.Listeners[thingspace.ServiceCarrier].URL
	}
	s.mu.Unlock()
	if target == "" {
		return false
	}
	body, _ := json.Marshal(sc.cb)
	return s.post(target, body)
}

// Listener returns the CarrierService listener registered for an account.
func (s *Sim) Listener(account string) (thingspace.CallbackListener, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accountLocked(account); a != nil {
		l, ok := a.Listeners[thingspace.ServiceCarrier]
		return l, ok
	}
	return thingspace.CallbackListener{}, false
}

// sentCallback is a callback as it was delivered, and the account of its change.
type sentCallback struct {
	account string
	cb      thingspace.Callback
}

// HoldChanges makes the carrier as slow as a test needs: changes it accepts from now on (and
// those still waiting for CallbackDelay) are neither applied nor called back until
// ReleaseChanges.
func (s *Sim) HoldChanges() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil {
		s.hold = make(chan struct{})
	}
}

// ReleaseChanges lets the held changes be applied and called back.
func (s *Sim) ReleaseChanges() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

// scheduleConnectLocked makes a line's device connect after a successful change, as
// Config.ConnectAfter and NeverConnectRate say.
func (s *Sim) scheduleConnectLocked(lineID int64) {
	if s.cfg.ConnectAfter <= 0 || s.chanceLocked(s.cfg.NeverConnectRate) {
		return
	}
	delay := time.Duration(s.rng.Int64N(int64(2 * s.cfg.ConnectAfter)))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if !s.wait(delay) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if l := s.lineByIDLocked(lineID); l != nil {
			now := time.Now().UTC()
			l.LastConnection = &now
			s.persistLocked()
		}
	}()
}

// Connect makes the device of the line holding identifier connect to the network at at (its
// lastConnectionDate). It reports whether the line exists.
func (s *Sim) Connect(identifier string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.st.Lines {
		if identifier != "" && (l.MDN == identifier || l.ICCID == identifier || l.IMEI == identifier) {
			at := at.UTC()
			l.LastConnection = &at
			s.persistLocked()
			return true
		}
	}
	return false
}
