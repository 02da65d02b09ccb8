package thingspace

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// The carrier adds fields without notice, and the audit trail must show what
// it really sent, so the main wire types keep every key they do not know in an
// Extra map and write it back out on encode. These two helpers do that for any
// struct whose unknown keys live in a field tagged `json:"-"` named Extra.

// decodeWithExtra decodes data into v (a pointer to a plain alias type with no
// custom methods) and returns the keys that match none of its JSON fields.
func decodeWithExtra(data []byte, v any) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	known := jsonFieldNames(reflect.TypeOf(v).Elem())
	var extra map[string]json.RawMessage
	for k, raw := range all {
		// encoding/json matches keys case-insensitively, so a key is known
		// when it folds to a field name.
		if known[strings.ToLower(k)] {
			continue
		}
		if extra == nil {
			extra = make(map[string]json.RawMessage)
		}
		extra[k] = raw
	}
	return extra, nil
}

// encodeWithExtra encodes v (a plain alias value) and adds the extra keys that
// v does not already write.
func encodeWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return data, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	known := jsonFieldNames(reflect.TypeOf(v))
	for k, raw := range extra {
		if known[strings.ToLower(k)] {
			continue
		}
		all[k] = raw
	}
	return json.Marshal(all)
}

// jsonFieldNames lists the lower-cased JSON names of a struct's fields.
func jsonFieldNames(t reflect.Type) map[string]bool {
	// Cached per type: a device list decodes this for every device of every page, and
	// building the map each time was a sixth of a 100,000-line sync's allocations.
	if m, ok := fieldNameCache.Load(t); ok {
		return m.(map[string]bool)
	}
	m := buildFieldNames(t)
	fieldNameCache.Store(t, m)
	return m
}

// fieldNameCache maps a reflect.Type to its read-only jsonFieldNames set.
var fieldNameCache sync.Map

func buildFieldNames(t reflect.Type) map[string]bool {
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		names[strings.ToLower(name)] = true
	}
	return names
}
