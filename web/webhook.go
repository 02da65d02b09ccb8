package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/internal/store"
	"github.com/idswap/idswap/internal/webhook"
	"github.com/idswap/idswap/views"
)

// Tenants' webhooks: an admin or a manager registers HTTPS endpoints for events, in the portal
// (/webhooks) or the API (/api/v1/webhooks); the secret that signs the deliveries is shown once.
// Deliveries are made by internal/webhook through the job queue.

// webhookStore is what the webhook pages and API read and write.
type webhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, n store.NewWebhookEndpoint) (int64, error)
	WebhookEndpoints(ctx context.Context, tenantID int64) ([]store.WebhookEndpoint, error)
	WebhookEndpointByID(ctx context.Context, tenantID, id int64) (*store.WebhookEndpoint, error)
	WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]store.WebhookDelivery, error)
	RedeliverWebhook(ctx context.Context, tenantID, endpointID, deliveryID int64, by string) error
}

// createWebhook checks and stores an endpoint for the user's tenant (an admin names it) and
// returns it with its new secret.
func (s *Server) createWebhook(ctx context.Context, u *store.User, tenantID int64, rawURL string, events []string) (*store.WebhookEndpoint, string, error) {
	if !u.IsAdmin() {
		tenantID = scopeOf(u)
	}
	if tenantID <= 0 {
		return nil, "", apperr.E(apperr.Invalid, "Choose the tenant whose events the endpoint receives.")
	}
	if err := webhook.CheckURL(rawURL, s.webhookLoopback); err != nil {
		return nil, "", err
	}
	if err := webhook.CheckEvents(events); err != nil {
		return nil, "", err
	}
	if u.IsAdmin() {
		if _, err := s.store.TenantByID(ctx, tenantID); err != nil {
			return nil, "", apperr.E(apperr.Invalid, "There is no tenant %d.", tenantID)
		}
	}
	secret := webhook.NewSecret()
	id, err := s.store.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{TenantID: tenantID, URL: strings.TrimSpace(rawURL),
		Events: events, Secret: secret, By: u.Email})
	if err != nil {
		return nil, "", err
	}
	ep, err := s.store.WebhookEndpointByID(ctx, tenantID, id)
	return ep, secret, err
}

// apiCreateWebhook is POST /api/v1/webhooks.
func (s *Server) apiCreateWebhook(c echo.Context) error {
	var body apiWebhookRequest
	if msg := decodeStrict(http.MaxBytesReader(c.Response(), c.Request().Body, 64<<10), &body); msg != "" {
		if field, ok := strings.CutPrefix(msg, "Unknown field "); ok {
			field, _, _ = strings.Cut(field, ";")
			msg = "Unknown field " + field + "; the fields are url, events and, for admins, tenant_id."
		}
		return c.JSON(http.StatusBadRequest, apiError{Error: msg, Code: apperr.Invalid})
	}
	ep, secret, err := s.createWebhook(c.Request().Context(), currentUser(c), body.TenantID, body.URL, body.Events)
	if err != nil {
		return err
	}
	out := apiWebhookCreated{apiWebhook: apiWebhookOf(*ep), Secret: secret}
	c.Response().Header().Set(echo.HeaderLocation, paths.Webhook(ep.ID))
	return c.JSON(http.StatusCreated, out)
}

// apiWebhooks is GET /api/v1/webhooks: the caller's tenant's endpoints (an admin's: all).
func (s *Server) apiWebhooks(c echo.Context) error {
	eps, err := s.store.WebhookEndpoints(c.Request().Context(), scopeOf(currentUser(c)))
	if err != nil {
		return err
	}
	out := apiWebhookList{Webhooks: make([]apiWebhook, 0, len(eps))}
	for _, ep := range eps {
		out.Webhooks = append(out.Webhooks, apiWebhookOf(ep))
	}
	return c.JSON(http.StatusOK, out)
}

func apiWebhookOf(ep store.WebhookEndpoint) apiWebhook {
	return apiWebhook{ID: ep.ID, TenantID: ep.TenantID, URL: ep.URL, Events: ep.Events(), Active: ep.IsActive,
		CreatedBy: ep.CreatedBy, CreatedAt: ep.CreatedDate, DeliveriesURL: paths.Webhook(ep.ID)}
}

// webhooks is the portal page: the endpoints and the form that adds one.
func (s *Server) webhooks(c echo.Context) error {
	return s.renderWebhooks(c, http.StatusOK, views.Webhooks{}, nil)
}

// addWebhook is the form's POST: the page again, with the secret shown once, or the error.
func (s *Server) addWebhook(c echo.Context) error {
	u := currentUser(c)
	tenantID, _ := strconv.ParseInt(c.FormValue("tenant"), 10, 64)
	form, _ := c.FormParams()
	events := form["events"]
	ep, secret, err := s.createWebhook(c.Request().Context(), u, tenantID, c.FormValue("url"), events)
	if apperr.CodeOf(err) == apperr.Invalid {
		return s.renderWebhooks(c, http.StatusUnprocessableEntity, views.Webhooks{URL: c.FormValue("url"), Error: apperr.MessageOf(err)}, events)
	}
	if err != nil {
		return err
	}
	return s.renderWebhooks(c, http.StatusOK, views.Webhooks{Created: &views.WebhookCreated{Target: ep.URL, Secret: secret}}, nil)
}

func (s *Server) renderWebhooks(c echo.Context, status int, p views.Webhooks, checked []string) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	eps, err := s.store.WebhookEndpoints(ctx, scopeOf(u))
	if err != nil {
		return err
	}
	names := map[int64]string{}
	if u.IsAdmin() {
		ts, err := s.tenants(ctx)
		if err != nil {
			return err
		}
		chosen, _ := strconv.ParseInt(c.FormValue("tenant"), 10, 64) // not a number: none chosen
		names, p.Tenants = ts.names(), ts.options(chosen)
	}
	for _, ep := range eps {
		p.Endpoints = append(p.Endpoints, views.WebhookRow{ID: ep.ID, URL: paths.Webhook(ep.ID), Target: ep.URL, Tenant: names[ep.TenantID],
			Events: strings.Join(ep.Events(), ", "), Created: stamp(&ep.CreatedDate)})
	}
	for _, e := range store.WebhookEvents {
		sel := len(checked) == 0 && e == store.EventBulkChangeCompleted
		for _, c := range checked {
			sel = sel || c == e
		}
		p.Events = append(p.Events, views.Option{Value: e, Label: e, Selected: sel})
	}
	p.Layout, p.Demo = layout(c, "Webhooks", "webhooks"), s.webhookLoopback
	return render(c, status, views.WebhooksPage(p))
}

// webhookLog is an endpoint's page: its deliveries, newest first.
func (s *Server) webhookLog(c echo.Context) error {
	ep, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	ds, err := s.store.WebhookDeliveries(c.Request().Context(), ep.ID, 100)
	if err != nil {
		return err
	}
	p := views.WebhookLog{Layout: layout(c, "Webhook deliveries", "webhooks"), Target: ep.URL, Events: strings.Join(ep.Events(), ", ")}
	for _, d := range ds {
		r := views.WebhookDeliveryRow{ID: d.ID, Event: d.Event, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError,
			Created: stamp(&d.CreatedDate), Delivered: stamp(d.DeliveredDate), ResendURL: paths.WebhookRedeliver(ep.ID, d.ID)}
		if d.ResponseCode != nil {
			r.ResponseCode = strconv.Itoa(*d.ResponseCode)
		}
		p.Deliveries = append(p.Deliveries, r)
	}
	return render(c, http.StatusOK, views.WebhookLogPage(p))
}

// redeliverWebhook is "send again": the delivery is queued once more.
func (s *Server) redeliverWebhook(c echo.Context) error {
	ep, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	did, err := strconv.ParseInt(c.Param("deliveryID"), 10, 64)
	if err != nil {
		return apperr.E(apperr.NotFound, "There is no webhook delivery %q.", c.Param("deliveryID"))
	}
	u := currentUser(c)
	if err := s.store.RedeliverWebhook(c.Request().Context(), scopeOf(u), ep.ID, did, u.Email); err != nil {
		return err
	}
	if err := setFlash(c, "ok", fmt.Sprintf("Delivery %d is queued to be sent again.", did)); err != nil {
		return err
	}
	return redirect(c, paths.Webhook(ep.ID))
}

func (s *Server) webhookOf(c echo.Context) (*store.WebhookEndpoint, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, apperr.E(apperr.NotFound, "There is no webhook %q.", c.Param("id"))
	}
	return s.store.WebhookEndpointByID(c.Request().Context(), scopeOf(currentUser(c)), id)
}
