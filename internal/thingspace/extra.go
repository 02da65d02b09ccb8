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
	known := jsonFieldNames(reflect.TypeOf(v).Elem())
	// Nearly always every key is a field: then a scan of the top-level keys, which allocates
	// nothing, says so, and the second decode into a map of every value (half of a device
	// list's decoding time and most of its allocations) is not needed.
	if keysAllKnown(data, known) {
		return nil, nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
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

// keysAllKnown reports whether every top-level key of data, a JSON object that json.Unmarshal
// has just accepted, is in known as written. A key it cannot judge so (one with an escape, or
// a letter case other than the field's) makes it answer false, and the caller looks closer.
func keysAllKnown(data []byte, known map[string]bool) bool {
	depth, wantKey := 0, false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			j, escaped := i+1, false
			for ; j < len(data) && data[j] != '"'; j++ {
				if data[j] == '\\' {
					escaped = true
					j++ // the escaped character, which may be a quote
				}
			}
			if depth == 1 && wantKey {
				if escaped || !known[string(data[i+1:j])] {
					return false
				}
				wantKey = false
			}
			i = j
		case '{', '[':
			depth++
			wantKey = depth == 1 && c == '{'
		case '}', ']':
			depth--
		case ',':
			wantKey = depth == 1
		}
	}
	return true
}

// jsonFieldNames lists the JSON names of a struct's fields, each as written and lower-cased.
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
		names[name] = true
		names[strings.ToLower(name)] = true
	}
	return names
}
