package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/idswap/idswap/internal/config"
	"github.com/idswap/idswap/internal/demo"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/thingspace/tssim"
	"github.com/idswap/idswap/views"
	"github.com/idswap/idswap/web"
)

// demoCarrier is demo mode's carrier: the in-process simulator (or the one --tssim-url names)
// and the demo provider pointed at it.
type demoCarrier struct {
	sim        *tssim.Sim   // nil when --tssim-url points elsewhere
	srv        *http.Server // the simulator's listener
	baseURL    string
	providerID int64
	built      bool
	logins     []views.DemoLogin
}

// startDemo starts the carrier and, on first start, builds the demo world through the admin's
// path (demo.Setup: onboarding services, then a sync of the simulator's lines). The simulator
// keeps its state in DATA/tssim-state.json so that swaps made before a restart are still there
// after it, matching the database.
func startDemo(ctx context.Context, cfg *config.Config, db *store.DB, log *slog.Logger) (*demoCarrier, error) {
	d := &demoCarrier{}
	world := demo.Build()
	statePath := filepath.Join(cfg.DataDir, "tssim-state.json")
	exists, err := demo.Exists(ctx, db)
	if err != nil {
		return nil, err
	}
	if !exists && cfg.TSSimURL == "" {
		// A fresh database with an old carrier state would disagree line by line: start both anew.
		if err := os.Remove(statePath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}

	d.baseURL = cfg.TSSimURL
	if d.baseURL == "" {
		simCfg := tssim.DefaultConfig()
		simCfg.StateFile = statePath
		// A new seed on each start: the carrier state survives a restart, and request ids
		// must not repeat those of the last run (real ones never do).
		simCfg.Seed = time.Now().UnixNano()
		simCfg.CallbackDelay = 1500 * time.Millisecond // long enough to watch a row wait for the carrier
		if d.sim, err = tssim.New(simCfg, world.Carrier); err != nil {
			return nil, fmt.Errorf("start the ThingSpace simulator: %w", err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, errors.Join(err, d.sim.Close())
		}
		d.srv = &http.Server{Handler: d.sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("simulator stopped", "err", err)
			}
		}()
		d.baseURL = "http://" + ln.Addr().String()
	}

	t0 := time.Now()
	limits := newCarrierLimits(db, cfg.CarrierRate)
	d.providerID, d.built, err = demo.Setup(ctx, db, world, demo.SetupOptions{BaseURL: d.baseURL, Password: cfg.DemoPassword,
		Limit: limits.Limit})
	// The set-up's permits go back now, not when their lease ends: the engine needs them.
	if cerr := limits.Close(ctx); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		d.close()
		return nil, fmt.Errorf("build the demo through onboarding and sync: %w", err)
	}
	if d.built {
		log.Info("demo built through onboarding and sync", "devices", len(world.Devices), "duration", time.Since(t0).Round(time.Millisecond))
	} else if err := db.SetBaseURL(ctx, d.providerID, d.baseURL, demo.SetupActor); err != nil {
		d.close()
		return nil, err
	}
	for _, u := range world.Users {
		role := u.Role
		if u.Tenant != "" {
			role += ", " + u.Tenant
		} else {
			role += ", every tenant"
		}
		d.logins = append(d.logins, views.DemoLogin{Email: u.Email, Role: role, Password: cfg.DemoPassword})
	}
	return d, nil
}

func (d *demoCarrier) printWelcome(w io.Writer, cfg *config.Config) {
	fmt.Fprintf(w, "Demo mode: data in %s, ThingSpace simulator at %s\n", cfg.DataDir, d.baseURL)
	fmt.Fprintf(w, "Sign in with one of these (password %q):\n", cfg.DemoPassword)
	for _, l := range d.logins {
		fmt.Fprintf(w, "  %-26s %s\n", l.Email, l.Role)
	}
}

func (d *demoCarrier) close() {
	if d.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.srv.Shutdown(ctx)
	}
	if d.sim != nil {
		_ = d.sim.Close() // it only stops the simulator's goroutines and always returns nil
	}
}

// simStock is the demo carrier's shelf, as the request form offers it: asked of the simulator
// over HTTP, so it is right whether the simulator runs in-process or on its own.
type simStock struct{ baseURL string }

func (s simStock) Spares(ctx context.Context) (web.Spares, error) {
	st, err := tssim.FetchStock(ctx, s.baseURL)
	if err != nil {
		return web.Spares{}, err
	}
	var sp web.Spares
	for _, sim := range st.SIMs {
		sp.ICCIDs = append(sp.ICCIDs, sim.ICCID)
	}
	for _, d := range st.Devices {
		sp.Devices = append(sp.Devices, web.SpareDevice{IMEI: d.IMEI, Make: d.Make, Model: d.Model, NetworkType: d.NetworkType})
	}
	return sp, nil
}

// ensureDemoKeys gives demo mode the keys its environment does not: each missing key is
// generated once and kept in the data folder with mode 0600 (config.DemoKeys), where
// config.Resolve reads it, so a restart can still open what the last run sealed.
func ensureDemoKeys(cfg *config.Config, getenv func(string) string) error {
	if !cfg.Demo {
		return nil
	}
	for _, k := range config.DemoKeys {
		if getenv(k.Env) != "" {
			continue
		}
		if err := createKeyFile(cfg.DataDir, cfg.DemoKeyPath(k.File)); err != nil {
			return err
		}
	}
	return nil
}

// createKeyFile writes 32 random bytes to path unless the file exists already.
func createKeyFile(dir, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	// O_EXCL: two processes starting at once must not each write their own key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(config.EncodeKey(k) + "\n"); err != nil {
		return err
	}
	return f.Close()
}
