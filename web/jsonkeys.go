package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// checkJSONKeys walks a JSON body token by token before encoding/json reads it, because
// encoding/json matches keys case-insensitively and keeps the last of two equal keys: so
// {"reason":"a","Reason":"b"} or {"dry_run":false,"DRY_RUN":true} would be read without a word,
// and a proxy or log that reads the first key would see a different request than idswap. Any
// key that appears twice in one object, or differs from a documented key of v only in case,
// is refused. A syntax error is left to the decoder, which words it better.
func checkJSONKeys(raw []byte, v any) string {
	documented := jsonKeysOf(reflect.TypeOf(v), map[string]bool{})
	type frame struct {
		object, wantKey bool
		keys            map[string]bool
	}
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return ""
		}
		top := (*frame)(nil)
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.object && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			key, _ := tok.(string)
			if problem := checkKey(key, top.keys, documented); problem != "" {
				return problem
			}
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantKey: true, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// checkKey records key as one more key of an object that has keys so far, and says what is wrong
// with it: a key the object already has, or one that differs from a documented key only in case.
func checkKey(key string, keys, documented map[string]bool) string {
	if keys[key] {
		return fmt.Sprintf("The key %q appears twice in one object; send each key once.", key)
	}
	keys[key] = true
	if documented[key] {
		return ""
	}
	for d := range documented {
		if strings.EqualFold(d, key) {
			return fmt.Sprintf("The key %q differs from the field %q only in case; keys are case-sensitive.", key, d)
		}
	}
	return ""
}

// jsonKeysOf collects the JSON names of every field of a struct type, nested ones included.
func jsonKeysOf(t reflect.Type, into map[string]bool) map[string]bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return into
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if f.Anonymous && f.Tag.Get("json") == "" {
			jsonKeysOf(f.Type, into)
			continue
		}
		into[name] = true
		jsonKeysOf(f.Type, into)
	}
	return into
}
