package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/auth"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// withCarrier starts the demo carrier and points the provider at it, so that undos can ask it
// about the old SIMs. It returns a client of the carrier for making changes there directly.
func (e *env) withCarrier() (*tssim.Sim, *thingspace.Client) {
	e.t.Helper()
	ctx := context.Background()
	sim, err := tssim.New(tssim.Config{}, e.world.Carrier)
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	e.t.Cleanup(func() { srv.Close(); _ = sim.Close() })
	creds, err := e.db.ThingSpaceCredentials(ctx, e.provider)
	if err != nil {
		e.t.Fatal(err)
	}
	creds.BaseURL = srv.URL
	if err := e.db.PutThingSpaceCredentials(ctx, *creds, "test"); err != nil {
		e.t.Fatal(err)
	}
	client, err := thingspace.New(thingspace.Config{BaseURL: srv.URL, TokenURL: creds.AuthTokenURL, LoginPath: creds.AuthURL,
		ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, Username: creds.Username, Password: creds.Password,
		AccountName: creds.AccountNumber, ServiceType: creds.ServiceType})
	if err != nil {
		e.t.Fatal(err)
	}
	return sim, client
}

// settleRow ends a row the way the engine does: claimed, sent, then final. A PROCESSED row
// with a client is changed at the carrier first, so that the carrier and the inventory agree.
func (e *env) settleRow(r store.DeviceChange, to change.Status, sim *tssim.Sim, client *thingspace.Client) {
	e.t.Helper()
	ctx := context.Background()
	if client != nil && to == change.StatusProcessed {
		if _, err := client.ChangeIdentifier(ctx, thingspace.ChangeIdentifierRequest{
			DeviceIDs:   []thingspace.DeviceID{{ID: r.MSISDN, Kind: thingspace.KindMDN}},
			DeviceIDsTo: []thingspace.DeviceID{{ID: r.NewICCID, Kind: thingspace.KindICCID}}, Change4GOption: thingspace.ChangeICCID}); err != nil {
			e.t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for l, _ := sim.Line(r.MSISDN); l.ICCID != r.NewICCID; l, _ = sim.Line(r.MSISDN) {
			if time.Now().After(deadline) {
				e.t.Fatalf("the carrier did not change line %s", r.MSISDN)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, ok, err := e.db.ClaimChange(ctx, r.ID, "engine", time.Minute, 0); err != nil || !ok {
		e.t.Fatalf("claim %d: %v %v", r.ID, ok, err)
	}
	if err := e.db.RecordSent(ctx, r.ID, fmt.Sprint("req-", r.ID), "engine"); err != nil {
		e.t.Fatal(err)
	}
	if res, err := e.db.FinishChange(ctx, store.FinishedChange{ChangeID: r.ID, From: change.StatusProcessing, To: to, By: "engine"}); err != nil || !res.Done {
		e.t.Fatalf("finish %d: %+v %v", r.ID, res, err)
	}
}

func notUndone(out map[string]any) map[int]string {
	got := map[int]string{}
	list, _ := out["not_undone"].([]any)
	for _, x := range list {
		m := x.(map[string]any)
		got[int(m["row"].(float64))] = m["reason"].(string)
	}
	return got
}

func TestAPIUndo(t *testing.T) {
	e := newEnv(t)
	sim, client := e.withCarrier()
	api := e.apiClient(demo.AcmeManager)

	// Three SIM swaps: two made (at the carrier too), one failed. Then line 2 changes again.
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 3, 0)
	e.settleRow(rows[0], change.StatusProcessed, sim, client)
	e.settleRow(rows[1], change.StatusProcessed, sim, client)
	e.settleRow(rows[2], change.StatusAPIFailed, nil, nil)
	later, laterRows := e.batch(demo.TenantAcme, demo.AcmeManager, 1, 1, 10)
	// Made in idswap only: the carrier still shows line 2 with its earlier SIM.
	e.settleRow(laterRows[0], change.StatusProcessed, nil, nil)
	undoPath := paths.APIBulkChangeUndo(id)

	// A read-only token may look but not undo; another tenant's manager does not see it.
	ro, _, err := auth.New(e.db).CreateToken(context.Background(), demo.AcmeManager, store.TokenOptions{Name: "ro", Scope: store.ScopeReadOnly}, "")
	if err != nil {
		t.Fatal(err)
	}
	if status, out := (&apiClient{t: t, e: e, token: ro}).call(http.MethodPost, undoPath, `{}`); status != http.StatusForbidden {
		t.Fatalf("read-only token: %d %v", status, out)
	}
	if status, out := e.apiClient(demo.GlobexManager).call(http.MethodPost, undoPath, `{}`); status != http.StatusNotFound {
		t.Fatalf("another tenant: %d %v", status, out)
	}

	// The dry run: row 1 goes back; rows 2 and 3 cannot, each with why.
	status, out := api.call(http.MethodPost, undoPath, `{"dry_run": true}`)
	if status != http.StatusOK || out["dry_run"] != true {
		t.Fatalf("dry run: %d %v", status, out)
	}
	plan := out["rows"].([]any)
	if len(plan) != 1 {
		t.Fatalf("undoable rows: %v", plan)
	}
	if r := plan[0].(map[string]any); r["row"] != 1.0 || r["from_iccid"] != rows[0].NewICCID || r["to_iccid"] != rows[0].ICCID || r["service_plan"] != "" {
		t.Fatalf("row 1 of the plan: %v", r)
	}
	why := notUndone(out)
	if len(why) != 2 || !strings.Contains(why[2], fmt.Sprintf("changed again since, by bulk change %d", later)) ||
		!strings.Contains(why[3], "failed at the carrier") {
		t.Fatalf("not undone: %v", why)
	}
	if _, n, _ := e.db.BulkChanges(context.Background(), store.BulkChangeFilter{TenantID: e.tenantID(demo.TenantAcme)}); n != 2 {
		t.Fatalf("a dry run stored something: %d requests", n)
	}

	// The undo itself, with the dry run's confirm; the same key again is the same undo.
	body := jsonBody(map[string]any{"confirm": out["confirm"]})
	status, out = api.call(http.MethodPost, undoPath, body, "Idempotency-Key", "undo-42")
	if status != http.StatusCreated || out["undo_of"] != float64(id) || out["rows"] != 1.0 || len(notUndone(out)) != 2 {
		t.Fatalf("undo: %d %v", status, out)
	}
	undo := int64(out["id"].(float64))
	if status, again := api.call(http.MethodPost, undoPath, body, "Idempotency-Key", "undo-42"); status != http.StatusOK ||
		again["id"] != out["id"] || again["created"] != false {
		t.Fatalf("replayed undo: %d %v", status, again)
	}
	// Linked both ways in the answers.
	if _, got := api.call(http.MethodGet, paths.APIBulkChange(id), ""); fmt.Sprint(got["undone_by"]) != fmt.Sprintf("[%d]", undo) || got["undo_of"] != nil {
		t.Fatalf("original: undone_by %v, undo_of %v", got["undone_by"], got["undo_of"])
	}
	if _, got := api.call(http.MethodGet, paths.APIBulkChange(undo), ""); got["undo_of"] != float64(id) || got["change_type"] != string(change.ChangeICCID) {
		t.Fatalf("undo: %v", got)
	}
	u, _, _ := e.db.DeviceChanges(context.Background(), undo, store.DeviceChangeFilter{})
	if len(u) != 1 || u[0].ICCID != rows[0].NewICCID || u[0].NewICCID != rows[0].ICCID {
		t.Fatalf("undo rows: %+v", u)
	}

	// One undo open at a time; a request still running, or one that changed nothing, has
	// nothing to undo.
	if status, out := api.call(http.MethodPost, undoPath, `{}`); status != http.StatusConflict ||
		!strings.Contains(out["error"].(string), fmt.Sprintf("being undone already by bulk change %d", undo)) {
		t.Fatalf("second undo: %d %v", status, out)
	}
	if status, out := api.call(http.MethodPost, paths.APIBulkChangeUndo(undo), `{}`); status != http.StatusConflict ||
		!strings.Contains(out["error"].(string), "has not finished yet") {
		t.Fatalf("undo of a running request: %d %v", status, out)
	}
	failed, failedRows := e.batch(demo.TenantAcme, demo.AcmeManager, 5, 1, 20)
	e.settleRow(failedRows[0], change.StatusAPIFailed, nil, nil)
	if status, out := api.call(http.MethodPost, paths.APIBulkChangeUndo(failed), `{}`); status != http.StatusConflict ||
		!strings.Contains(out["error"].(string), "changed no line") {
		t.Fatalf("undo of a request that changed nothing: %d %v", status, out)
	}

	// The later change was made in idswap only: the carrier shows its line with the SIM the undo
	// would give back, so nothing can be undone, and the 409 lists why.
	status, out = api.call(http.MethodPost, paths.APIBulkChangeUndo(later), `{}`)
	if status != http.StatusConflict || !strings.Contains(out["error"].(string), "None of the 1 row") {
		t.Fatalf("undo refused at the carrier: %d %v", status, out)
	}
	if why := notUndone(out); !strings.Contains(why[1], "the carrier shows the line with ICCID "+laterRows[0].ICCID+" already") {
		t.Fatalf("carrier's reason: %v", why)
	}
}

// TestUndoPageConfirmsAndLinksBothWays goes through the portal: the request's Undo, the
// confirmation with the rows that cannot be undone, the submit, and the links on both pages.
func TestUndoPageConfirmsAndLinksBothWays(t *testing.T) {
	e := newEnv(t)
	sim, client := e.withCarrier()
	id, rows := e.batch(demo.TenantAcme, demo.AcmeManager, 0, 2, 0)
	e.settleRow(rows[0], change.StatusProcessed, sim, client)
	e.settleRow(rows[1], change.StatusAPIFailed, nil, nil)
	c := e.signIn(demo.AcmeManager)

	_, body := c.get(paths.BulkChange(id))
	if !strings.Contains(body, `href="`+paths.BulkChangeUndo(id)+`"`) {
		t.Fatal("the finished request offers no Undo")
	}
	res, body := c.get(paths.BulkChangeUndo(id))
	doc := mustDoc(t, body)
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=undo-row]").Length() != 1 ||
		!strings.Contains(doc.Find("[data-testid=undo-refused-reason]").Text(), "failed at the carrier") {
		t.Fatalf("confirmation page: %d\n%s", res.StatusCode, body)
	}
	confirm, _ := doc.Find("input[name=confirm]").Attr("value")
	key, _ := doc.Find("input[name=key]").Attr("value")
	// A confirm that is not what can be undone now stores nothing and shows the lists again.
	res, body = c.postForm(paths.BulkChangeUndo(id), url.Values{"confirm": {"stale"}, "key": {key + "-x"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "has changed since you looked") {
		t.Fatalf("stale confirm: %d\n%s", res.StatusCode, body)
	}
	res, _ = c.postForm(paths.BulkChangeUndo(id), url.Values{"confirm": {confirm}, "key": {key}})
	m := bulkLocation.FindStringSubmatch(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("submit: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = c.get(res.Header.Get("Location"))
	if doc := mustDoc(t, body); doc.Find("[data-testid=undo-of]").Text() != fmt.Sprintf("#%d", id) {
		t.Fatalf("the undo's page does not link the original:\n%s", body)
	}
	_, body = c.get(paths.BulkChange(id))
	if doc := mustDoc(t, body); doc.Find("[data-testid=undone-by]").Text() != "#"+m[1] {
		t.Fatalf("the original's page does not link its undo:\n%s", body)
	}
}
