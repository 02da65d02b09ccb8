package thingspace

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The key scan that spares the second decode must never call a key known that the full
// decode would keep as extra: each case is decoded both ways and must agree.
func TestKeyScanAgreesWithTheFullDecode(t *testing.T) {
	cases := []struct {
		json  string
		known bool
	}{
		{`{"accountName":"a","deviceIds":[{"id":"1","kind":"iccId"}],"groupNames":["x","y"]}`, true},
		{`{ "accountName" : "a" , "customFields" : [ {"key":"k","value":"v"} ] }`, true},
		{`{"accountName":"a","nested":{"accountName":"b"}}`, false},
		{`{"accountName":"has \"quotes\" and , commas { [","ipAddress":"0.0.0.0"}`, true},
		{`{"accountName":"a","newThing":1}`, false},
		{`{"AccountName":"a"}`, false},      // a case the scan does not judge: looked at closer
		{`{"account\u004eame":"a"}`, false}, // an escaped key: looked at closer
		{`{"deviceIds":[],"extra":{"accountName":"x"}}`, false},
		{`{"connected":false,"lastConnectionDate":"2024-01-02T09:00:00Z"}`, true},
		{`{}`, true},
	}
	known := jsonFieldNames(reflect.TypeFor[deviceFields]())
	for _, c := range cases {
		if got := keysAllKnown([]byte(c.json), known); got != c.known {
			t.Errorf("%s: scan says all known = %v, want %v", c.json, got, c.known)
		}
		var d Device
		if err := json.Unmarshal([]byte(c.json), &d); err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		var all map[string]json.RawMessage
		_ = json.Unmarshal([]byte(c.json), &all)
		slow := map[string]bool{}
		for k := range all {
			if !known[strings.ToLower(k)] {
				slow[k] = true
			}
		}
		if len(d.Extra) != len(slow) {
			t.Errorf("%s: extra %v, the full decode keeps %v", c.json, d.Extra, slow)
		}
	}
}
