package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/thingspace/tssim"
)

// runTSSim runs the ThingSpace simulator on its own, with the demo carrier's lines, SIMs,
// devices and plans. `serve --demo --tssim-url` can point the demo provider at it, so carrier
// state outlives portal restarts; --state keeps it across simulator restarts too.
func runTSSim(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	simCfg := tssim.DefaultConfig()
	fs := newFlagSet("tssim", stderr)
	addr := fs.String("addr", "127.0.0.1:9001", "address to listen on")
	simCfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	world := demo.Build()
	sim, err := tssim.New(simCfg, world.Carrier)
	if err != nil {
		return err
	}
	defer sim.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "ThingSpace simulator at http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "  account %s, OAuth client %s / %s, UWS user %s / %s\n",
		demo.AccountName, demo.ClientID, demo.ClientSecret, demo.UWSUsername, demo.UWSPassword)
	fmt.Fprintf(stdout, "  %d lines, %d spare SIMs, %d spare devices, %d plans\n",
		len(world.Carrier.Lines), len(world.Carrier.SIMs), len(world.Carrier.Devices), len(world.Carrier.Plans))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
