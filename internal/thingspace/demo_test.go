package thingspace_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// The whole demo carrier, with its special-character secret, listed through
// pages that carry no cursor: every line exactly once.
func TestDemoCarrierListedOnceWithoutCursor(t *testing.T) {
	world := demo.Build()
	sim, err := tssim.New(tssim.Config{}, world.Carrier)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	c, err := thingspace.New(thingspace.Config{BaseURL: srv.URL, ClientID: demo.ClientID, ClientSecret: demo.ClientSecret,
		Username: demo.UWSUsername, Password: demo.UWSPassword, AccountName: demo.AccountName, ServiceType: "4G"})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, l := range world.Carrier.Lines {
		if l.Account == demo.AccountName {
			want = append(want, l.ICCID)
		}
	}
	err = c.AllDevices(context.Background(), thingspace.ListDevicesRequest{}, func(d thingspace.Device) error {
		id, _ := d.ID(thingspace.KindICCID)
		got = append(got, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustEachOnce(t, got, want)
	st := sim.Stats()
	pages := st.Call(tssim.KindListDevices, http.StatusAccepted) + st.Call(tssim.KindListDevices, http.StatusOK)
	t.Logf("%d demo lines in %d pages of at most %d", len(got), pages, thingspace.DefaultListPageSize)
	if len(want) < 1000 {
		t.Errorf("only %d demo lines: the test is meant to cross many pages", len(want))
	}
}
