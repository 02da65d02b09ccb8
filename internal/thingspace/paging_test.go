package thingspace_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idswap/idswap/internal/thingspace"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// pagingSeed is the demo seed with extra active lines, n lines in all.
func pagingSeed(n int) tssim.Seed {
	seed := tssim.DemoSeed()
	for i := len(seed.Lines); i < n; i++ {
		seed.Lines = append(seed.Lines, tssim.Line{Account: account, MDN: fmt.Sprintf("5095551%03d", i),
			ICCID: fmt.Sprintf("891480000000020%05d", i), IMEI: fmt.Sprintf("3533201100%05d", i),
			State: tssim.StateActive, ServicePlan: "M2MCAT1-5GB"})
	}
	return seed
}

func allICCIDs(t *testing.T, c *thingspace.Client, pageSize int) ([]string, error) {
	t.Helper()
	var got []string
	err := c.AllDevices(context.Background(), thingspace.ListDevicesRequest{MaxNumberOfDevices: pageSize}, func(d thingspace.Device) error {
		id, _ := d.ID(thingspace.KindICCID)
		got = append(got, id)
		return nil
	})
	return got, err
}

// Lines added at one instant straddle a page boundary. earliest is
// exclusive, so asking from that instant would lose the ones that did not
// fit; AllDevices asks from a second before it and drops the repeats.
func TestAllDevicesSharedCreatedAtAcrossPageBoundary(t *testing.T) {
	seed := pagingSeed(14)
	r := MustRigSeed(t, tssim.Config{}, seed)
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, l := range seed.Lines[3:7] { // lines 3..6: the first page (5) ends inside them
		if !r.Sim.SetCreated(l.ICCID, at) {
			t.Fatalf("no line %s", l.ICCID)
		}
	}
	for i, l := range seed.Lines[7:] {
		r.Sim.SetCreated(l.ICCID, at.Add(time.Duration(i+1)*time.Minute))
	}
	var want []string
	for _, l := range seed.Lines {
		want = append(want, l.ICCID)
	}
	got, err := allICCIDs(t, r.Client, 5)
	if err != nil {
		t.Fatal(err)
	}
	mustEachOnce(t, got, want)

	// The naive way, earliest = the last device's createdAt, loses lines:
	// this is what the test above guards against.
	ctx := context.Background()
	first, err := r.Client.ListDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: 5})
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Client.ListDevices(ctx, thingspace.ListDevicesRequest{MaxNumberOfDevices: 5, Earliest: first.Devices[4].CreatedAt})
	if err != nil {
		t.Fatal(err)
	}
	naive := map[string]bool{}
	for _, d := range append(first.Devices, second.Devices...) {
		id, _ := d.ID(thingspace.KindICCID)
		naive[id] = true
	}
	if naive[seed.Lines[5].ICCID] || naive[seed.Lines[6].ICCID] {
		t.Errorf("the simulator's earliest is not exclusive: the naive paging saw lines 5 and 6")
	}
}

// More lines at one instant than a page holds cannot be paged by earliest:
// a clear error, not a loop or a silent gap; a page that holds them works.
func TestAllDevicesTooManyAtOneInstant(t *testing.T) {
	seed := pagingSeed(14)
	r := MustRigSeed(t, tssim.Config{}, seed)
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, l := range seed.Lines[2:10] { // eight lines, pages of five
		r.Sim.SetCreated(l.ICCID, at)
	}
	got, err := allICCIDs(t, r.Client, 5)
	ae := MustAPIError(t, err, thingspace.ClassUnavailable)
	if !strings.Contains(ae.Message, "repeated") || !strings.Contains(ae.Message, "page size") {
		t.Errorf("message %q", ae.Message)
	}
	seen := map[string]int{}
	for _, g := range got {
		if seen[g]++; seen[g] > 1 {
			t.Errorf("%s handed on twice before the error", g)
		}
	}
	var want []string
	for _, l := range seed.Lines {
		want = append(want, l.ICCID)
	}
	got, err = allICCIDs(t, r.Client, 10)
	if err != nil {
		t.Fatal(err)
	}
	mustEachOnce(t, got, want)
}

// The caller's own earliest stays a lower bound while paging moves it.
func TestAllDevicesKeepsCallersEarliest(t *testing.T) {
	r := MustRig(t, tssim.Config{})
	// Demo lines are added a minute apart from 2024-01-02T09:00:00Z; after
	// 09:01:00 (exclusive) leaves lines 2, 3 and 4.
	var got []string
	err := r.Client.AllDevices(context.Background(), thingspace.ListDevicesRequest{MaxNumberOfDevices: 2, Earliest: "2024-01-02T09:01:00Z"},
		func(d thingspace.Device) error {
			id, _ := d.ID(thingspace.KindICCID)
			got = append(got, id)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	mustEachOnce(t, got, demoICCIDs()[2:])
}

func TestClientRefusesPageSizeOverTheSDKBound(t *testing.T) {
	_, err := thingspace.New(thingspace.Config{BaseURL: "http://x", ClientID: "k", ClientSecret: "s", Username: "u", Password: "p",
		AccountName: "a", ListPageSize: thingspace.MaxListPageSize + 1})
	if err == nil || !strings.Contains(err.Error(), "ListPageSize") {
		t.Errorf("err %v, want a ListPageSize error", err)
	}
}
