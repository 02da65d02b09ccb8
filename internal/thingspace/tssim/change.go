package tssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
)

// pendingChange is an accepted change waiting for CallbackDelay.
type pendingChange struct {
	requestID string
	lineID    int64
	account   string
	opt       thingspace.Change4GOption
	req       thingspace.ChangeIdentifierRequest
	fault     *Fault // asynchronous injected fault
	drop      bool
	duplicate bool
}

// refusal is a synchronous answer other than 200.
type refusal struct {
	status int
	code   string
	msg    string
}

func refuse(code, format string, args ...any) *refusal {
	return &refusal{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

var smsrOidPattern = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)

func (s *Sim) handleChange(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	types := s.cfg.ServiceTypes
	s.mu.Unlock()
	if st := r.PathValue("serviceType"); !slices.Contains(types, st) {
		writeError(w, http.StatusBadRequest, CodeServiceTypeInvalid, fmt.Sprintf("serviceType %q is not one of %s", st, strings.Join(types, ", ")))
		return
	}
	var req thingspace.ChangeIdentifierRequest
	if !decode(w, r, &req, false) {
		return
	}
	s.mu.Lock()
	id, ref := s.submitLocked(c.account, req)
	s.mu.Unlock()
	if ref != nil {
		writeError(w, ref.status, ref.code, ref.msg)
		return
	}
	writeJSON(w, http.StatusOK, thingspace.RequestIDResponse{RequestID: id})
}

// neededKinds are the kinds deviceIdsTo must hold for an option.
func neededKinds(opt thingspace.Change4GOption) []string {
	switch opt {
	case thingspace.ChangeICCID:
		return []string{thingspace.KindICCID}
	case thingspace.ChangeIMEI, thingspace.Change3Gto4G, thingspace.Change4Gto3G:
		return []string{thingspace.KindIMEI}
	case thingspace.ChangeIMEIandICCID:
		return []string{thingspace.KindIMEI, thingspace.KindICCID}
	case thingspace.ChangeIMEIandEID:
		return []string{thingspace.KindIMEI, thingspace.KindEID}
	}
	return nil
}

// submitLocked runs the synchronous checks and, when they pass, accepts the
// change and schedules it. The checks run in the order of the package
// documentation's first table: the request itself (checkRequest), then the
// line it names (findLineLocked), then an injected fault, the line's state and
// the plan (checkLineLocked).
func (s *Sim) submitLocked(acct *accountState, req thingspace.ChangeIdentifierRequest) (string, *refusal) {
	select {
	case <-s.closing:
		return "", &refusal{status: http.StatusServiceUnavailable, code: CodeUnexpectedError, msg: "Simulator is closing"}
	default:
	}
	opt, ref := s.checkRequest(req)
	if ref != nil {
		return "", ref
	}
	line, ref := s.findLineLocked(acct, req)
	if ref != nil {
		return "", ref
	}
	s.stats.ChangeSubmissions[lineKey(line)]++
	fault := s.takeFaultLocked(line, req.DeviceIDsTo)
	if fault != nil && fault.Sync {
		return "", refuse(fault.Code, "%s", fault.Message)
	}
	if ref := s.checkLineLocked(line, req); ref != nil {
		return "", ref
	}
	return s.acceptLocked(acct, line, opt, req, fault), nil
}

// checkRequest checks the request alone, in the table's order: change4gOption,
// deviceIds, each identifier's kind and form, ChangeMSISDN's fields, the
// deviceIdsTo kinds the option needs, smsrOid.
func (s *Sim) checkRequest(req thingspace.ChangeIdentifierRequest) (thingspace.Change4GOption, *refusal) {
	opt, ok := thingspace.ParseChange4GOption(string(req.Change4GOption))
	if !ok {
		return "", refuse(CodeChange4GOptionInvalid, "change4gOption %q is not valid", req.Change4GOption)
	}
	if len(req.DeviceIDs) == 0 {
		return "", refuse(CodeRequestUndefined, "deviceIds is required")
	}
	for _, d := range slices.Concat(req.DeviceIDs, req.DeviceIDsTo) {
		if !knownKind(d.Kind) {
			return "", refuse(CodeKindInvalid, "Device kind %q is not valid", d.Kind)
		}
		if !validIdentifier(d.Kind, d.ID, s.cfg.StrictIdentifiers) {
			return "", refuse(CodeIdentifierInvalid, "Device identifier %q is not a valid %s", d.ID, d.Kind)
		}
	}
	if opt == thingspace.ChangeMSISDN {
		if ref := checkMSISDNRequest(req); ref != nil {
			return "", ref
		}
	}
	for _, k := range neededKinds(opt) {
		if _, ok := thingspace.FindID(req.DeviceIDsTo, k); !ok {
			return "", refuse(CodeRequestUndefined, "deviceIdsTo needs an %s for %s", k, opt)
		}
	}
	if opt == thingspace.ChangeIMEIandEID && !smsrOidPattern.MatchString(req.SmsrOid) {
		return "", refuse(CodeRequestUndefined, "smsrOid is required for ChangeIMEIandEID")
	}
	return opt, nil
}

// checkMSISDNRequest checks what only ChangeMSISDN takes: no deviceIdsTo, and
// an npaNxx of 6 digits or a zipCode.
func checkMSISDNRequest(req thingspace.ChangeIdentifierRequest) *refusal {
	if len(req.DeviceIDsTo) > 0 {
		return refuse(CodeChange4GOptionInvalid, "ChangeMSISDN takes no deviceIdsTo; hardware and MDN cannot change in one call")
	}
	if req.NpaNxx != "" && !digits(req.NpaNxx, 6, 6) {
		return refuse(CodeIdentifierInvalid, "npaNxx %q must be 6 digits", req.NpaNxx)
	}
	if req.NpaNxx == "" && req.ZipCode == "" {
		return refuse(CodeRequestUndefined, "npaNxx or zipCode is required for ChangeMSISDN")
	}
	return nil
}

// findLineLocked finds the one line deviceIds name, in the caller's account.
func (s *Sim) findLineLocked(acct *accountState, req thingspace.ChangeIdentifierRequest) (*lineState, *refusal) {
	var line *lineState
	for _, d := range req.DeviceIDs {
		l := s.lineWithLocked(d.Kind, d.ID)
		if l == nil {
			continue
		}
		if line != nil && l != line {
			return nil, refuse(CodeIdentifierInvalid, "deviceIds name more than one device")
		}
		line = l
	}
	if line == nil {
		return nil, refuse(CodeDeviceNotFound, "Device not found")
	}
	if line.Account != acct.Name {
		return nil, refuse(CodeDeviceAccountInvalid, "Device is not in account %s", acct.Name)
	}
	return line, nil
}

// checkLineLocked checks the line's state and the plan the request asks for.
func (s *Sim) checkLineLocked(line *lineState, req thingspace.ChangeIdentifierRequest) *refusal {
	if !strings.EqualFold(line.State, StateActive) {
		return refuse(CodeDeviceStateInvalid, "Device is not active (state %s)", line.State)
	}
	if line.MDN == "" {
		return refuse(CodeDeviceStateInvalid, "Device has no MDN")
	}
	if req.ServicePlan != "" {
		if _, ok := s.planLocked(req.ServicePlan); !ok {
			return refuse(CodeServicePlanNotFound, "Service plan %s not found", req.ServicePlan)
		}
	}
	return nil
}

// acceptLocked accepts a checked change: it is applied after CallbackDelay
// (complete). It returns the change's requestId.
func (s *Sim) acceptLocked(acct *accountState, line *lineState, opt thingspace.Change4GOption, req thingspace.ChangeIdentifierRequest, fault *Fault) string {
	p := &pendingChange{
		requestID: s.uuidLocked(),
		lineID:    line.ID,
		account:   acct.Name,
		opt:       opt,
		req:       req,
		fault:     fault,
		drop:      s.chanceLocked(s.cfg.DropCallbackRate),
		duplicate: s.chanceLocked(s.cfg.DuplicateCallbackRate),
	}
	s.stats.ChangesAccepted++
	s.pending++
	if s.pending == 1 {
		s.idle = make(chan struct{})
	}
	s.wg.Add(1)
	go s.complete(p, s.cfg.CallbackDelay)
	return p.requestID
}

// lineKey names a line in Stats.ChangeSubmissions: its MDN, or its ICCID
// for a line without one.
func lineKey(l *lineState) string {
	if l.MDN != "" {
		return l.MDN
	}
	return "iccid:" + l.ICCID
}

func (s *Sim) takeFaultLocked(line *lineState, to []thingspace.DeviceID) *Fault {
	keys := []string{line.MDN, line.ICCID, line.IMEI, line.EID}
	for _, d := range to {
		keys = append(keys, d.ID)
	}
	for _, k := range keys {
		if f, ok := s.faults[k]; ok && k != "" {
			delete(s.faults, k)
			return &f
		}
	}
	return nil
}

// complete applies the change after delay and delivers its callback.
func (s *Sim) complete(p *pendingChange, delay time.Duration) {
	defer s.wg.Done()
	defer s.finishPending()
	if !s.wait(delay) {
		return
	}
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-s.closing:
			return
		}
	}
	s.mu.Lock()
	cb, listener := s.applyLocked(p)
	s.mu.Unlock()
	s.deliver(p, cb, listener)
}

func (s *Sim) finishPending() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending--
	if s.pending == 0 {
		close(s.idle)
	}
}

// wait sleeps d unless the simulator closes first.
func (s *Sim) wait(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-s.closing:
			return false
		default:
			return true
		}
	}
	return s.waitUnless(nil, d)
}

// waitUnless sleeps d unless done (nil: never) or the simulator's closing comes first; it
// reports whether the whole d passed.
func (s *Sim) waitUnless(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	case <-s.closing:
		return false
	}
}

// applyLocked runs the asynchronous checks and, when they pass, changes the
// line. It returns the callback to send and the listener to send it to (nil
// when the account has no CarrierService listener). The checks run in the
// order of the package documentation's second table: an injected fault, the
// new identifiers in use or unknown (inUseLocked), the plan against the device
// (planForLocked), a free MDN.
func (s *Sim) applyLocked(p *pendingChange) (thingspace.Callback, *thingspace.CallbackListener) {
	line := s.lineByIDLocked(p.lineID)
	listener := s.carrierListenerLocked(p.account)
	if p.fault != nil {
		return s.failedLocked(p, line, p.fault.Code, p.fault.Message), listener
	}
	to := requestedIdentifiers(p)
	if code, msg := s.inUseLocked(line, to); code != "" {
		return s.failedLocked(p, line, code, msg), listener
	}
	plan, code, msg := s.planForLocked(line, p.req.ServicePlan, to.imei)
	if code != "" {
		return s.failedLocked(p, line, code, msg), listener
	}
	if p.opt == thingspace.ChangeMSISDN {
		if to.mdn = s.freeMDNLocked(p.req.NpaNxx); to.mdn == "" {
			return s.failedLocked(p, line, CodeMDNUnavailable, "No MDN available in "+p.req.NpaNxx), listener
		}
	}
	return s.changeLineLocked(p, line, to, plan), listener
}

// carrierListenerLocked is the account's CarrierService listener, nil when it has none.
func (s *Sim) carrierListenerLocked(account string) *thingspace.CallbackListener {
	if a := s.accountLocked(account); a != nil {
		if l, ok := a.Listeners[thingspace.ServiceCarrier]; ok {
			return &l
		}
	}
	return nil
}

// failedLocked is the callback of a change the carrier refused after accepting it.
func (s *Sim) failedLocked(p *pendingChange, line *lineState, code, msg string) thingspace.Callback {
	s.stats.ChangesFailed++
	return thingspace.Callback{
		RequestID:     p.requestID,
		DeviceIDs:     callbackIDs(line, "Iccid", "Imei", "Mdn", "Eid"),
		FaultResponse: &thingspace.Fault{FaultCode: code, FaultString: msg},
		Status:        thingspace.CallbackFailed,
	}
}

// newIdentifiers are what a change gives a line; "" keeps the line's own.
type newIdentifiers struct{ iccid, imei, eid, mdn string }

// requestedIdentifiers reads the new identifiers the change's option takes
// from deviceIdsTo (the MDN is chosen by the carrier when it applies).
func requestedIdentifiers(p *pendingChange) newIdentifiers {
	var to newIdentifiers
	for _, k := range neededKinds(p.opt) {
		id, _ := thingspace.FindID(p.req.DeviceIDsTo, k)
		switch k {
		case thingspace.KindICCID:
			to.iccid = id
		case thingspace.KindIMEI:
			to.imei = id
		case thingspace.KindEID:
			to.eid = id
		}
	}
	return to
}

// inUseLocked refuses a new ICCID that is on a line, retired or unknown, and a
// new IMEI or EID that is on a line: the code and message, or "". A line may take
// back the SIM it last gave up (an undo; see DECISIONS "Undo").
func (s *Sim) inUseLocked(line *lineState, to newIdentifiers) (code, msg string) {
	returning := to.iccid != "" && slices.Contains(s.st.Retired, to.iccid) && s.st.RetiredFrom[to.iccid] == line.ID
	if to.iccid != "" && !returning {
		if s.lineWithLocked(thingspace.KindICCID, to.iccid) != nil || slices.Contains(s.st.Retired, to.iccid) {
			return CodeICCIDInUse, fmt.Sprintf("SIM %s is already in use or associated with an account", to.iccid)
		}
		if !slices.ContainsFunc(s.st.SIMs, func(x SIM) bool { return x.ICCID == to.iccid }) {
			return CodeICCIDUnknown, fmt.Sprintf("SIM %s is not known to the carrier", to.iccid)
		}
	}
	if to.imei != "" && s.lineWithLocked(thingspace.KindIMEI, to.imei) != nil {
		return CodeIMEIInUse, fmt.Sprintf("Device %s is already on a line", to.imei)
	}
	if to.eid != "" && s.lineWithLocked(thingspace.KindEID, to.eid) != nil {
		return CodeEIDInUse, fmt.Sprintf("EID %s is already on a line", to.eid)
	}
	return "", ""
}

// planForLocked is the line's plan after the change (the requested one, or the
// line's own) and, when that plan does not support the device the line will
// hold, the code and message that refuse it. Only a new device or a new plan
// can break compatibility; a device of unknown network type is not checked.
func (s *Sim) planForLocked(line *lineState, requested, newIMEI string) (plan, code, msg string) {
	plan, planChanged := line.ServicePlan, false
	if requested != "" && requested != plan {
		plan, planChanged = requested, true
	}
	imei := line.IMEI
	if newIMEI != "" {
		imei = newIMEI
	}
	nt := s.networkTypeLocked(imei)
	if nt == "" || (newIMEI == "" && !planChanged) {
		return plan, "", ""
	}
	pl, ok := s.planLocked(plan)
	if !ok || len(pl.NetworkTypes) == 0 || slices.ContainsFunc(pl.NetworkTypes, func(t string) bool { return strings.EqualFold(t, nt) }) {
		return plan, "", ""
	}
	if planChanged {
		return plan, CodePlanIncompatible, fmt.Sprintf("Service plan %s does not support %s devices", plan, nt)
	}
	return plan, CodePlanIncompatible, fmt.Sprintf("Current service plan %s does not support %s devices; give a compatible servicePlan", plan, nt)
}

// changeLineLocked applies a change that passed every check: the line takes
// its new identifiers and plan, the spare SIM and device leave the stock, the
// old ICCID is retired. It returns the success callback.
func (s *Sim) changeLineLocked(p *pendingChange, line *lineState, to newIdentifiers, plan string) thingspace.Callback {
	before := callbackIDs(line, "ICCID", "IMEI", "MDN", "EID")
	var newIDs []thingspace.DeviceID
	if to.iccid != "" {
		s.st.SIMs = slices.DeleteFunc(s.st.SIMs, func(x SIM) bool { return x.ICCID == to.iccid })
		s.st.Retired = slices.DeleteFunc(s.st.Retired, func(x string) bool { return x == to.iccid })
		delete(s.st.RetiredFrom, to.iccid)
		if line.ICCID != "" {
			s.st.Retired = append(s.st.Retired, line.ICCID)
			if s.st.RetiredFrom == nil {
				s.st.RetiredFrom = map[string]int64{}
			}
			s.st.RetiredFrom[line.ICCID] = line.ID
		}
		line.ICCID = to.iccid
		newIDs = append(newIDs, thingspace.DeviceID{ID: to.iccid, Kind: thingspace.KindICCID})
	}
	if to.imei != "" {
		s.st.Devices = slices.DeleteFunc(s.st.Devices, func(x Hardware) bool { return x.IMEI == to.imei })
		line.IMEI = to.imei
		newIDs = append(newIDs, thingspace.DeviceID{ID: to.imei, Kind: thingspace.KindIMEI})
	}
	if to.eid != "" {
		line.EID = to.eid
		newIDs = append(newIDs, thingspace.DeviceID{ID: to.eid, Kind: thingspace.KindEID})
	}
	if to.mdn != "" {
		line.MDN = to.mdn
		newIDs = append(newIDs, thingspace.DeviceID{ID: to.mdn, Kind: thingspace.KindMDN})
	}
	line.ServicePlan = plan
	s.stats.ChangesSucceeded++
	s.scheduleConnectLocked(line.ID)
	s.persistLocked()
	resp, _ := json.Marshal(thingspace.ChangeIdentifierResponse{DeviceIDs: newIDs, ServicePlan: plan})
	return thingspace.Callback{
		RequestID:      p.requestID,
		DeviceIDs:      before,
		DeviceResponse: map[string]json.RawMessage{thingspace.KeyChangeIdentifierResponse: resp},
		Status:         thingspace.CallbackSuccess,
	}
}

// callbackIDs lists a line's identifiers with the kind spellings given;
// the carrier's callbacks mix letter cases, and so do ours.
func callbackIDs(l *lineState, iccid, imei, mdn, eid string) []thingspace.DeviceID {
	var ids []thingspace.DeviceID
	for _, d := range []thingspace.DeviceID{{ID: l.ICCID, Kind: iccid}, {ID: l.IMEI, Kind: imei}, {ID: l.MDN, Kind: mdn}, {ID: l.EID, Kind: eid}} {
		if d.ID != "" {
			ids = append(ids, d)
		}
	}
	return ids
}

// freeMDNLocked picks an unused MDN in the NPA-NXX. Deriving one from a ZIP
// code is not modelled: without npaNxx the simulator uses 509-555.
func (s *Sim) freeMDNLocked(npaNxx string) string {
	if npaNxx == "" {
		npaNxx = "509555"
	}
	for range 100 {
		mdn := fmt.Sprintf("%s%04d", npaNxx, s.rng.IntN(10000))
		if s.lineWithLocked(thingspace.KindMDN, mdn) == nil {
			return mdn
		}
	}
	return ""
}
