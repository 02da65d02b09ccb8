package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
)

// TestDemoProcessesABatchEndToEnd runs the real `idswap serve --demo` and stores a request in
// its database from outside, as another process would: the app's workers must send it to the
// in-process simulator, the simulator's callbacks must reach the portal at the port it bound,
// and the result e-mail must land in DATA/outbox and on the admin outbox page.
func TestDemoProcessesABatchEndToEnd(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	db, cfg := app.openDB(t)
	id, _ := demoBatch(t, db, 5)
	ps, err := db.Providers(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("providers: %v %v", ps, err)
	}

	deadline := time.Now().Add(60 * time.Second)
	var b *store.BulkChange
	for {
		if b, err = db.BulkChange(ctx, 0, id); err != nil {
			t.Fatal(err)
		}
		if b.Status.Final() || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b.Status != change.BatchProcessed || b.Counts.Processed != 5 {
		t.Fatalf("bulk change %s %+v", b.Status, b.Counts)
	}
	// The simulator's callbacks reached the portal and decided the rows.
	cbs, err := db.Callbacks(ctx, ps[0].ID)
	if err != nil || len(cbs) != 5 {
		t.Fatalf("%d callbacks stored (%v)", len(cbs), err)
	}
	for _, cb := range cbs {
		if cb.ChangeID == nil || cb.Processed == nil {
			t.Errorf("callback %d decided no row", cb.ID)
		}
	}
	var eml []byte
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(app.DataDir, "outbox", "*.eml"))
		if len(files) == 1 {
			if eml, err = os.ReadFile(files[0]); err != nil {
				t.Fatal(err)
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	subject := fmt.Sprintf("Bulk change %d: 5 of 5 changed", id)
	if !strings.Contains(string(eml), "Subject: "+subject) || !strings.Contains(string(eml), "All changed: 5 of 5 changed") {
		t.Fatalf("the outbox has no result e-mail: %.300s", eml)
	}

	// The admin outbox page shows it.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	page := func(res *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	m := token.FindStringSubmatch(page(hc.Get(app.URL + paths.Login)))
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	page(hc.PostForm(app.URL+paths.Login, url.Values{"_csrf": {m[1]}, "email": {demo.AdminEmail}, "password": {cfg.DemoPassword}}))
	body := page(hc.Get(app.URL + paths.AdminOutbox))
	if !strings.Contains(body, subject) || !strings.Contains(body, ">sent<") || !strings.Contains(body, ">all changed<") {
		t.Fatalf("the outbox page does not list the e-mail: %.500s", body)
	}
}
