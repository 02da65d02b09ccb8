package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/web"
)

// The OpenAPI document (web/openapi.json) is held true by the API tests themselves: every API
// call they make goes through apiDo, which validates the request and the answer against it with
// kin-openapi's openapi3filter. A request the document calls invalid must be refused by the
// server (4xx), a request it calls valid must not be answered 400 (the server and the document
// agree on the shape), and every answer must match its documented schema. TestMain then checks
// that the test run called every documented operation, and TestOpenAPIRoutes that every /api/v1
// route of the server is documented and nothing else is. (echo's own catch-all "not found"
// routes of a group are not routes of the API.)

var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error

	mu     sync.Mutex
	called map[string]bool // "METHOD /path/{template}" of every operation a test called
}

func loadContract(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	contract.once.Do(func() {
		ctx := context.Background()
		contract.doc, contract.err = openapi3.NewLoader().LoadFromData(web.OpenAPI)
		if contract.err != nil {
			return
		}
		if contract.err = contract.doc.Validate(ctx); contract.err != nil {
			return
		}
		contract.router, contract.err = legacy.NewRouter(contract.doc)
		contract.called = map[string]bool{}
	})
	if contract.err != nil {
		t.Fatalf("web/openapi.json: %v", contract.err)
	}
	return contract.doc, contract.router
}

// bearerOnly is the document's security as openapi3filter checks it: a bearer token is present.
// Whether it is a good one is the server's to say (401), which the document also describes.
func bearerOnly(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, tok, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

// apiDo sends one API request and checks it, and its answer, against the OpenAPI document.
// It returns the answer with its body read.
func apiDo(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	_, router := loadContract(t)
	ctx := context.Background()
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in web/openapi.json: %v", req.Method, req.URL.Path, err)
	}
	contract.mu.Lock()
	contract.called[req.Method+" "+route.Path] = true
	contract.mu.Unlock()

	// Validate a copy, so that the request sent is byte for byte the test's.
	check := req.Clone(ctx)
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerOnly, MultiError: true}}
	reqErr := openapi3filter.ValidateRequest(ctx, in)

	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	req.ContentLength = int64(len(reqBody))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case reqErr != nil && (res.StatusCode < 400 || res.StatusCode >= 500):
		t.Errorf("%s %s: the document calls the request invalid (%v), but the server answered %d", req.Method, req.URL.Path, reqErr, res.StatusCode)
	case reqErr == nil && res.StatusCode == http.StatusBadRequest && json.Valid(reqBody) && !hasDuplicateKey(reqBody):
		// (A body that is not one JSON value, such as two objects, kin-openapi's decoder reads
		// only the start of; the server refuses it, rightly. So is a body with a key twice,
		// which JSON Schema cannot express: a decoder keeps the last, and the server refuses
		// it (jsonkeys.go), as the document's 400 answer says.)
		t.Errorf("%s %s: the document calls the request valid, but the server answered 400: %s", req.Method, req.URL.Path, raw)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s answered %d, which web/openapi.json does not allow: %v\nbody: %.2000s", req.Method, req.URL.Path, res.StatusCode, err, raw)
	}
	return res, raw
}

// hasDuplicateKey reports whether some object in raw, a valid JSON value, has a key twice.
func hasDuplicateKey(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key, _ := k.(string)
				if seen[key] || walk() {
					return true
				}
				seen[key] = true
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if walk() {
					return true
				}
			}
			_, _ = dec.Token()
		}
		return false
	}
	return walk()
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	// Only a run of every test can show that every operation was called.
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" {
		if missing := uncalledOperations(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no API test calls these operations of web/openapi.json through apiDo: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

func uncalledOperations() []string {
	if contract.doc == nil {
		return []string{"(no test loaded the document)"}
	}
	var missing []string
	for path, item := range contract.doc.Paths.Map() {
		for method := range item.Operations() {
			if !contract.called[method+" "+path] {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

var echoParam = regexp.MustCompile(`:([A-Za-z]+)`)

// TestOpenAPIRoutes holds the document to the route table: every route under /api/v1 is
// documented with the same method, and the document has nothing the server does not answer.
func TestOpenAPIRoutes(t *testing.T) {
	doc, _ := loadContract(t)
	s := web.New(web.Config{SessionKey: []byte("session-key-for-tests-0123456789")})
	served := map[string]bool{}
	for _, r := range s.Routes() {
		if !strings.HasPrefix(r.Path, paths.APIv1+"/") || strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		served[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	if len(served) == 0 {
		t.Fatal("the server has no /api/v1 routes")
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("the server answers %s, which web/openapi.json does not document", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("web/openapi.json documents %s, which the server does not answer", r)
		}
	}
}

// TestOpenAPIServed: the document is served, public, as it is embedded.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+paths.APIOpenAPI, nil)
	res, body := apiDo(t, req)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, web.OpenAPI) || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s: %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	doc, _ := loadContract(t)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
}
