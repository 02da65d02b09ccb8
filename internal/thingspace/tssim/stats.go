package tssim

import (
	"maps"
	"strconv"
)

// Stats counts what the simulator saw and did; GET /sim/v1/stats serves it.
type Stats struct {
	// Calls counts requests by call kind (KindToken, KindChangeIdentifier,
	// ...) and HTTP status, e.g. Calls["token"]["200"].
	Calls map[string]map[string]int `json:"calls"`
	// ChangeSubmissions counts change-identifier requests per line, keyed
	// by the line's MDN when submitted (refused ones included), so a test
	// can prove nothing was sent twice.
	ChangeSubmissions map[string]int `json:"changeSubmissions"`
	ChangesAccepted   int            `json:"changesAccepted"`
	ChangesSucceeded  int            `json:"changesSucceeded"`
	ChangesFailed     int            `json:"changesFailed"`
	// CallbacksSent counts POSTs to listeners (every attempt).
	CallbacksSent int `json:"callbacksSent"`
	// CallbacksAcknowledged counts 2xx answers.
	CallbacksAcknowledged int `json:"callbacksAcknowledged"`
	// CallbacksDuplicated counts extra deliveries made by the duplicate knob.
	CallbacksDuplicated int `json:"callbacksDuplicated"`
	// CallbacksDropped counts callbacks never sent because of the drop knob.
	CallbacksDropped int `json:"callbacksDropped"`
	// CallbacksAbandoned counts callbacks given up after MaxCallbackAttempts.
	CallbacksAbandoned int `json:"callbacksAbandoned"`
	// CallbacksNoListener counts results with no CarrierService listener.
	CallbacksNoListener int `json:"callbacksNoListener"`
	// StateFileError is the last failure to write the state file, if any.
	StateFileError string `json:"stateFileError,omitempty"`
}

func newStats() Stats {
	return Stats{Calls: map[string]map[string]int{}, ChangeSubmissions: map[string]int{}}
}

func (st *Stats) countCall(kind string, status int) {
	m := st.Calls[kind]
	if m == nil {
		m = map[string]int{}
		st.Calls[kind] = m
	}
	m[strconv.Itoa(status)]++
}

func (st Stats) clone() Stats {
	out := st
	out.Calls = make(map[string]map[string]int, len(st.Calls))
	for k, v := range st.Calls {
		out.Calls[k] = maps.Clone(v)
	}
	out.ChangeSubmissions = maps.Clone(st.ChangeSubmissions)
	return out
}

// Call returns how many calls of kind got the given HTTP status.
func (st Stats) Call(kind string, status int) int {
	return st.Calls[kind][strconv.Itoa(status)]
}

// Stats returns a copy of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.clone()
}
