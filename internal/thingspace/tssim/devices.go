package tssim

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
)

func (s *Sim) handleList(w http.ResponseWriter, r *http.Request, c caller) {
	var req thingspace.ListDevicesRequest
	if !decode(w, r, &req, true) {
		return
	}
	if req.AccountName != "" && req.AccountName != c.account.Name {
		writeError(w, http.StatusBadRequest, CodeAccountNotFound, "Account "+req.AccountName+" not found")
		return
	}
	for _, d := range slices.Concat(req.DeviceList, optional(req.DeviceID)) {
		if !knownKind(d.Kind) {
			writeError(w, http.StatusBadRequest, CodeKindInvalid, "Device kind "+d.Kind+" is not valid")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.DeviceID != nil {
		// A single-device query that matches nothing is refused rather than
		// answered with an empty list; UNCONFIRMED which the carrier does.
		l := s.lineWithLocked(req.DeviceID.Kind, req.DeviceID.ID)
		if l == nil || l.Account != c.account.Name {
			writeError(w, http.StatusBadRequest, CodeDeviceNotFound, "Device not found")
			return
		}
		writeJSON(w, http.StatusOK, thingspace.DeviceListPage{Devices: []thingspace.Device{s.deviceLocked(l, true)}})
		return
	}
	if s.cfg.MaxPageSize > 0 && req.MaxNumberOfDevices > s.cfg.MaxPageSize {
		writeError(w, http.StatusBadRequest, CodeMaxDevicesInvalid,
			fmt.Sprintf("maxNumberOfDevices %d is over the limit of %d", req.MaxNumberOfDevices, s.cfg.MaxPageSize))
		return
	}
	if req.MaxNumberOfDevices < 0 {
		writeError(w, http.StatusBadRequest, CodeMaxDevicesInvalid, "maxNumberOfDevices must not be negative")
		return
	}
	var earliest, latest time.Time
	for _, b := range []struct {
		name, v string
		t       *time.Time
	}{{"earliest", req.Earliest, &earliest}, {"latest", req.Latest, &latest}} {
		if b.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, b.v)
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeEarliestInvalid, b.name+" is not an ISO-8601 date-time: "+b.v)
			return
		}
		*b.t = t
	}
	limit := s.cfg.PageSize
	if req.MaxNumberOfDevices > 0 {
		limit = req.MaxNumberOfDevices
	}
	match := s.listedLocked(c.account.Name, req, earliest, latest)
	page := thingspace.DeviceListPage{Devices: []thingspace.Device{}}
	status := http.StatusOK
	if len(match) > limit {
		match = match[:limit]
		page.HasMoreData = true
		if s.cfg.ListCursor {
			page.LargestDeviceIDSeen = match[len(match)-1].ID
		}
		status = http.StatusAccepted // documented: 202 while hasMoreData
	}
	for _, l := range match {
		page.Devices = append(page.Devices, s.deviceLocked(l, false))
	}
	writeJSON(w, status, page)
}

// listedLocked is every line of the account that req lists, from the cursor on and created in
// (earliest, latest] (a zero bound is open), in paging order.
func (s *Sim) listedLocked(account string, req thingspace.ListDevicesRequest, earliest, latest time.Time) []*lineState {
	var match []*lineState
	for _, l := range s.st.Lines {
		if l.Account != account || l.ID <= req.LargestDeviceIDSeen || !s.matches(l, req) {
			continue
		}
		// earliest is "added after" (exclusive, §12.2); latest is inclusive.
		if (!earliest.IsZero() && !l.CreatedAt.After(earliest)) || (!latest.IsZero() && l.CreatedAt.After(latest)) {
			continue
		}
		match = append(match, l)
	}
	// Paged by internal id when a cursor is in play, else by creation time
	// (the documented order for paging with earliest), id breaking ties.
	if !s.cfg.ListCursor && req.LargestDeviceIDSeen == 0 {
		slices.SortStableFunc(match, func(a, b *lineState) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
	}
	return match
}

func optional(d *thingspace.DeviceID) []thingspace.DeviceID {
	if d == nil {
		return nil
	}
	return []thingspace.DeviceID{*d}
}

// matches applies the list filters that the simulator models.
func (s *Sim) matches(l *lineState, req thingspace.ListDevicesRequest) bool {
	if req.CurrentState != "" && !strings.EqualFold(req.CurrentState, l.State) {
		return false
	}
	if req.ServicePlan != "" && req.ServicePlan != l.ServicePlan {
		return false
	}
	if req.GroupName != "" && !slices.Contains(l.Groups, req.GroupName) {
		return false
	}
	for _, f := range req.CustomFields {
		if l.CustomFields[f.Key] != f.Value {
			return false
		}
	}
	if len(req.DeviceList) > 0 && !slices.ContainsFunc(req.DeviceList, func(d thingspace.DeviceID) bool {
		return s.lineWithLocked(d.Kind, d.ID) == l
	}) {
		return false
	}
	if req.Filter != nil {
		for _, f := range req.Filter.DeviceIdentifierFilters {
			id := identifierOf(l, f.Kind)
			if id == "" || !strings.Contains(id, f.Contains) || !strings.HasPrefix(id, f.StartsWith) || !strings.HasSuffix(id, f.EndsWith) {
				return false
			}
		}
	}
	return true
}

func identifierOf(l *lineState, kind string) string {
	switch strings.ToLower(kind) {
	case thingspace.KindICCID:
		return l.ICCID
	case thingspace.KindIMEI:
		return l.IMEI
	case thingspace.KindMDN, thingspace.KindMSISDN:
		return l.MDN
	case thingspace.KindEID:
		return l.EID
	}
	return ""
}

// deviceLocked renders a line the way the carrier lists it, kinds in the
// carrier's mixed case ("iccId").
func (s *Sim) deviceLocked(l *lineState, single bool) thingspace.Device {
	ids := []thingspace.DeviceID{}
	for _, d := range []thingspace.DeviceID{{ID: l.MDN, Kind: "mdn"}, {ID: l.IMEI, Kind: "imei"}, {ID: l.ICCID, Kind: "iccId"}, {ID: l.EID, Kind: "eid"}} {
		if d.ID != "" {
			ids = append(ids, d)
		}
	}
	created := l.CreatedAt.UTC().Format(time.RFC3339)
	d := thingspace.Device{
		AccountName:         l.Account,
		BillingCycleEndDate: l.CreatedAt.AddDate(0, 1, 0).UTC().Format(time.RFC3339),
		CarrierInformations: []thingspace.CarrierInformation{{CarrierName: "Verizon Wireless", ServicePlan: l.ServicePlan, State: l.State}},
		Connected:           false,
		CreatedAt:           created,
		DeviceIDs:           ids,
		IPAddress:           "0.0.0.0",
		LastActivationBy:    "tssim",
		LastActivationDate:  created,
		GroupNames:          slices.Clone(l.Groups),
	}
	for _, k := range slices.Sorted(maps.Keys(l.CustomFields)) {
		d.CustomFields = append(d.CustomFields, thingspace.KeyValue{Key: k, Value: l.CustomFields[k]})
	}
	if l.LastConnection != nil {
		d.LastConnectionDate = l.LastConnection.UTC().Format(time.RFC3339)
	}
	if single {
		// UNCONFIRMED keys: the carrier's extendedAttributes are about the
		// place of use; these help a reader of the simulator.
		hw := s.hardwareLocked(l.IMEI)
		d.ExtendedAttributes = []thingspace.KeyValue{
			{Key: "NetworkType", Value: hw.NetworkType},
			{Key: "Make", Value: hw.Make},
			{Key: "Model", Value: hw.Model},
		}
	}
	return d
}

func (s *Sim) handlePlans(w http.ResponseWriter, r *http.Request, c caller) {
	if !pathAccount(w, r, c) {
		return
	}
	s.mu.Lock()
	out := make([]thingspace.ServicePlan, 0, len(s.st.Plans))
	for _, p := range s.st.Plans {
		out = append(out, thingspace.ServicePlan{Name: p.Name, Code: p.Code, SizeKb: p.SizeKb, CarrierServicePlanCode: p.CarrierServicePlanCode})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
