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
// change and schedules it. The order of checks is the order of the package
// documentation's table.
func (s *Sim) submitLocked(acct *accountState, req thingspace.ChangeIdentifierRequest) (string, *refusal) { //nolint:gocognit // the checks in the order of the package documentation's table, kept in one place so the two can be compared
	select {
	case <-s.closing:
		return "", &refusal{status: http.StatusServiceUnavailable, code: CodeUnexpectedError, msg: "Simulator is closing"}
	default:
	}
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
		if len(req.DeviceIDsTo) > 0 {
			return "", refuse(CodeChange4GOptionInvalid, "ChangeMSISDN takes no deviceIdsTo; hardware and MDN cannot change in one call")
		}
		if req.NpaNxx != "" && !digits(req.NpaNxx, 6, 6) {
			return "", refuse(CodeIdentifierInvalid, "npaNxx %q must be 6 digits", req.NpaNxx)
		}
		if req.NpaNxx == "" && req.ZipCode == "" {
			return "", refuse(CodeRequestUndefined, "npaNxx or zipCode is required for ChangeMSISDN")
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
	var line *lineState
	for _, d := range req.DeviceIDs {
		l := s.lineWithLocked(d.Kind, d.ID)
		if l == nil {
			continue
		}
		if line != nil && l != line {
			return "", refuse(CodeIdentifierInvalid, "deviceIds name more than one device")
		}
		line = l
	}
	if line == nil {
		return "", refuse(CodeDeviceNotFound, "Device not found")
	}
	if line.Account != acct.Name {
		return "", refuse(CodeDeviceAccountInvalid, "Device is not in account %s", acct.Name)
	}
	s.stats.ChangeSubmissions[lineKey(line)]++
	fault := s.takeFaultLocked(line, req.DeviceIDsTo)
	if fault != nil && fault.Sync {
		return "", refuse(fault.Code, "%s", fault.Message)
	}
	if !strings.EqualFold(line.State, StateActive) {
		return "", refuse(CodeDeviceStateInvalid, "Device is not active (state %s)", line.State)
	}
	if line.MDN == "" {
		return "", refuse(CodeDeviceStateInvalid, "Device has no MDN")
	}
	if req.ServicePlan != "" {
		if _, ok := s.planLocked(req.ServicePlan); !ok {
			return "", refuse(CodeServicePlanNotFound, "Service plan %s not found", req.ServicePlan)
		}
	}
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
	return p.requestID, nil
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
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closing:
		return false
	}
}

// applyLocked runs the asynchronous checks and, when they pass, changes the
// line. It returns the callback to send and the listener to send it to (nil
// when the account has no CarrierService listener).
func (s *Sim) applyLocked(p *pendingChange) (thingspace.Callback, *thingspace.CallbackListener) { //nolint:gocognit // the carrier's asynchronous checks in its order, kept in one place like submitLocked's
	line := s.lineByIDLocked(p.lineID)
	var listener *thingspace.CallbackListener
	if a := s.accountLocked(p.account); a != nil {
		if l, ok := a.Listeners[thingspace.ServiceCarrier]; ok {
			listener = &l
		}
	}
	fail := func(code, format string, args ...any) (thingspace.Callback, *thingspace.CallbackListener) {
		s.stats.ChangesFailed++
		return thingspace.Callback{
			RequestID:     p.requestID,
			DeviceIDs:     callbackIDs(line, "Iccid", "Imei", "Mdn", "Eid"),
			FaultResponse: &thingspace.Fault{FaultCode: code, FaultString: fmt.Sprintf(format, args...)},
			Status:        thingspace.CallbackFailed,
		}, listener
	}
	if p.fault != nil {
		return fail(p.fault.Code, "%s", p.fault.Message)
	}
	req := p.req
	var newICCID, newIMEI, newEID string
	for _, k := range neededKinds(p.opt) {
		id, _ := thingspace.FindID(req.DeviceIDsTo, k)
		switch k {
		case thingspace.KindICCID:
			newICCID = id
		case thingspace.KindIMEI:
			newIMEI = id
		case thingspace.KindEID:
			newEID = id
		}
	}
	returning := newICCID != "" && slices.Contains(s.st.Retired, newICCID) && s.st.RetiredFrom[newICCID] == line.ID
	if newICCID != "" && !returning {
		if s.lineWithLocked(thingspace.KindICCID, newICCID) != nil || slices.Contains(s.st.Retired, newICCID) {
			return fail(CodeICCIDInUse, "SIM %s is already in use or associated with an account", newICCID)
		}
		if !slices.ContainsFunc(s.st.SIMs, func(x SIM) bool { return x.ICCID == newICCID }) {
			return fail(CodeICCIDUnknown, "SIM %s is not known to the carrier", newICCID)
		}
	}
	if newIMEI != "" && s.lineWithLocked(thingspace.KindIMEI, newIMEI) != nil {
		return fail(CodeIMEIInUse, "Device %s is already on a line", newIMEI)
	}
	if newEID != "" && s.lineWithLocked(thingspace.KindEID, newEID) != nil {
		return fail(CodeEIDInUse, "EID %s is already on a line", newEID)
	}
	plan, planChanged := line.ServicePlan, false
	if req.ServicePlan != "" && req.ServicePlan != plan {
		plan, planChanged = req.ServicePlan, true
	}
	imei := line.IMEI
	if newIMEI != "" {
		imei = newIMEI
	}
	// Only a new device or a new plan can break compatibility; a device of
	// unknown network type is not checked.
	if nt := s.networkTypeLocked(imei); nt != "" && (newIMEI != "" || planChanged) {
		if pl, ok := s.planLocked(plan); ok && len(pl.NetworkTypes) > 0 && !slices.ContainsFunc(pl.NetworkTypes, func(t string) bool { return strings.EqualFold(t, nt) }) {
			if planChanged {
				return fail(CodePlanIncompatible, "Service plan %s does not support %s devices", plan, nt)
			}
			return fail(CodePlanIncompatible, "Current service plan %s does not support %s devices; give a compatible servicePlan", plan, nt)
		}
	}
	var newMDN string
	if p.opt == thingspace.ChangeMSISDN {
		if newMDN = s.freeMDNLocked(req.NpaNxx); newMDN == "" {
			return fail(CodeMDNUnavailable, "No MDN available in %s", req.NpaNxx)
		}
	}

	before := callbackIDs(line, "ICCID", "IMEI", "MDN", "EID")
	var newIDs []thingspace.DeviceID
	if newICCID != "" {
		s.st.SIMs = slices.DeleteFunc(s.st.SIMs, func(x SIM) bool { return x.ICCID == newICCID })
		s.st.Retired = slices.DeleteFunc(s.st.Retired, func(x string) bool { return x == newICCID })
		delete(s.st.RetiredFrom, newICCID)
		if line.ICCID != "" {
			s.st.Retired = append(s.st.Retired, line.ICCID)
			if s.st.RetiredFrom == nil {
				s.st.RetiredFrom = map[string]int64{}
			}
			s.st.RetiredFrom[line.ICCID] = line.ID
		}
		line.ICCID = newICCID
		newIDs = append(newIDs, thingspace.DeviceID{ID: newICCID, Kind: thingspace.KindICCID})
	}
	if newIMEI != "" {
		s.st.Devices = slices.DeleteFunc(s.st.Devices, func(x Hardware) bool { return x.IMEI == newIMEI })
		line.IMEI = newIMEI
		newIDs = append(newIDs, thingspace.DeviceID{ID: newIMEI, Kind: thingspace.KindIMEI})
	}
	if newEID != "" {
		line.EID = newEID
		newIDs = append(newIDs, thingspace.DeviceID{ID: newEID, Kind: thingspace.KindEID})
	}
	if newMDN != "" {
		line.MDN = newMDN
		newIDs = append(newIDs, thingspace.DeviceID{ID: newMDN, Kind: thingspace.KindMDN})
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
	}, listener
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
