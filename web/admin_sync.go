package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/views"
)

const syncRunsShown = 20

// adminSync is the sync page: "Sync now" per provider, the runs, the changes found outside.
func (s *Server) adminSync(c echo.Context) error {
	ctx := c.Request().Context()
	ps, err := s.store.Providers(ctx)
	if err != nil {
		return err
	}
	runs, err := s.syncRuns(c, ps)
	if err != nil {
		return err
	}
	m := views.SyncPageModel{Layout: layout(c, "Inventory sync", "admin"), Runs: runs}
	pending, err := s.store.PendingSyncs(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		m.Providers = append(m.Providers, views.SyncProvider{Name: p.Name, URL: paths.SyncProvider(p.ID), Pending: pending[p.ID]})
	}
	return render(c, http.StatusOK, views.SyncPage(m))
}

// syncRunsRegion is the runs region alone, which polls itself while a sync is queued or running.
func (s *Server) syncRunsRegion(c echo.Context) error {
	ps, err := s.store.Providers(c.Request().Context())
	if err != nil {
		return err
	}
	runs, err := s.syncRuns(c, ps)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.SyncRunsRegion(runs))
}

func (s *Server) syncRuns(c echo.Context, ps []store.Provider) (views.SyncRunsModel, error) {
	ctx := c.Request().Context()
	names := map[int64]string{}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	runs, err := s.store.SyncRuns(ctx, 0, syncRunsShown)
	if err != nil {
		return views.SyncRunsModel{}, err
	}
	pending, err := s.store.PendingSyncs(ctx)
	if err != nil {
		return views.SyncRunsModel{}, err
	}
	m := views.SyncRunsModel{PollURL: paths.AdminSyncRuns, Live: len(pending) > 0}
	oc, err := s.store.OutsideChanges(ctx, 0, 100)
	if err != nil {
		return views.SyncRunsModel{}, err
	}
	for _, o := range oc {
		m.Outside = append(m.Outside, views.OutsideChangeRow{When: stamp(&o.ChangeDate), Tenant: o.TenantName, DeviceID: o.DeviceID,
			DeviceURL: paths.Device(o.DeviceID), OldICCID: o.OldICCID, NewICCID: o.NewICCID, OldIMEI: o.OldIMEI, NewIMEI: o.NewIMEI})
	}
	for _, r := range runs {
		if r.Status == store.SyncRunning {
			m.Live = true
		}
		row := views.SyncRunRow{ID: r.ID, Provider: names[r.ProviderID], Status: r.Status, By: r.RequestedBy, Started: stamp(&r.StartedDate),
			Finished: stamp(r.FinishedDate), Error: r.Error, Listed: r.Listed, Added: r.Added, Updated: r.Updated,
			Outside: r.ChangedOutside, Gone: r.Gone, Unassigned: r.Unassigned}
		m.Rows = append(m.Rows, row)
	}
	return m, nil
}

// syncNow queues a sync of a provider (nothing when one is already queued or running).
func (s *Server) syncNow(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	queued, err := s.inventory.RequestSync(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	if !queued {
		return done(c, paths.AdminSync, "A sync of this provider is already queued or running.")
	}
	return done(c, paths.AdminSync, "Sync queued: the runs below follow it.")
}
