package web

import (
	"time"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
)

// The JSON API's wire format, every request and answer body in one place. The golden files of
// api_golden_test.go pin it: a field renamed here shows up there.

// apiCreateRequest is the body of POST /api/v1/bulk-changes.
type apiCreateRequest struct {
	TenantID          int64   `json:"tenant_id"` // admins only: the tenant to act for
	ServiceProviderID int64   `json:"service_provider_id"`
	ChangeType        string  `json:"change_type"`
	Reason            string  `json:"reason"`
	ServicePlan       *string `json:"service_plan"` // "" or absent: keep each device's plan where it fits
	// RunAt (RFC 3339) is when the request is to start; absent: at once, or at the tenant's
	// next maintenance window.
	RunAt  *string  `json:"run_at"`
	DryRun bool     `json:"dry_run"`
	Rows   []apiRow `json:"rows"`
	// Priority is "normal" (the default) or "urgent": admins, and managers of a tenant that
	// allows it.
	Priority string `json:"priority"`
}

// apiRow is one row of a create request.
type apiRow struct {
	Current  string `json:"current"`
	NewICCID string `json:"new_iccid"`
	NewIMEI  string `json:"new_imei"`
}

// apiError is the body of every error answer.
type apiError struct {
	Error string      `json:"error"`
	Code  apperr.Code `json:"code"`
}

// apiInvalid is the 422 body of a create: what is wrong with the request and with each row.
type apiInvalid struct {
	Error  string            `json:"error"`
	Code   apperr.Code       `json:"code"`
	Fields map[string]string `json:"fields,omitempty"`
	Rows   []apiRowErrors    `json:"rows"`
}

// apiRowErrors is one failing row of a 422 answer.
type apiRowErrors struct {
	Index  int      `json:"index"`
	Errors []string `json:"errors"`
}

// apiCreated is the 201 (or replayed, 200) body of a create.
type apiCreated struct {
	ID        int64              `json:"id"`
	Status    change.BatchStatus `json:"status"`
	Rows      int                `json:"rows"`
	Created   bool               `json:"created"`
	Priority  change.Priority    `json:"priority"`
	URL       string             `json:"url"`
	PortalURL string             `json:"portal_url"`
}

// apiDryRun is the 200 body of a dry run.
type apiDryRun struct {
	DryRun             bool              `json:"dry_run"`
	Valid              bool              `json:"valid"`
	Fields             map[string]string `json:"fields"`
	Rows               []apiCheckedRow   `json:"rows"`
	RowsWithErrors     int               `json:"rows_with_errors"`
	PlanGroups         []apiPlanGroup    `json:"plan_groups"`
	MonthlyChangeCents int64             `json:"monthly_change_cents"`
}

// apiCheckedRow is one row of a dry run: what every check found.
type apiCheckedRow struct {
	Index              int      `json:"index"`
	Current            string   `json:"current"`
	CurrentKind        string   `json:"current_kind,omitempty"`
	Device             *apiLine `json:"device,omitempty"`
	NewICCID           string   `json:"new_iccid,omitempty"`
	NewIMEI            string   `json:"new_imei,omitempty"`
	NetworkType        string   `json:"network_type,omitempty"`
	Model              string   `json:"model,omitempty"`
	CurrentPlan        string   `json:"current_plan,omitempty"`
	ServicePlan        *string  `json:"service_plan"` // the plan after the change; null while undecided
	MonthlyChangeCents int64    `json:"monthly_change_cents"`
	PlanGroup          string   `json:"plan_group,omitempty"`
	Errors             []string `json:"errors"`
	OK                 bool     `json:"ok"`
}

// apiLine is a device as the API shows it.
type apiLine struct {
	ID     int64  `json:"id"`
	ICCID  string `json:"iccid"`
	IMEI   string `json:"imei"`
	MSISDN string `json:"msisdn"`
	EID    string `json:"eid,omitempty"`
	Status string `json:"status"`
}

// apiPlanGroup is the devices of a dry run that share a network type, and their plan.
type apiPlanGroup struct {
	Key                string   `json:"key"`
	NetworkType        string   `json:"network_type"`
	CurrentPlanFits    bool     `json:"current_plan_fits"`
	Rows               int      `json:"rows"`
	CompatiblePlans    []string `json:"compatible_plans"` // null when no plan serves the group
	Chosen             bool     `json:"chosen"`
	ServicePlan        string   `json:"service_plan"`
	Problem            string   `json:"problem"`
	MonthlyChangeCents int64    `json:"monthly_change_cents"`
}

// apiBulkChange is a request as GET /api/v1/bulk-changes lists it.
type apiBulkChange struct {
	ID                int64              `json:"id"`
	TenantID          int64              `json:"tenant_id"`
	Tenant            string             `json:"tenant"`
	ServiceProviderID int64              `json:"service_provider_id"`
	ServiceProvider   string             `json:"service_provider"`
	ChangeType        change.Type        `json:"change_type"`
	Status            change.BatchStatus `json:"status"`
	StatusWords       string             `json:"status_words"` // the status as the portal says it: "partly changed"
	Summary           string             `json:"summary"`      // the counts in words: "3 of 5 changed, 2 cancelled"
	StatusDetails     string             `json:"status_details"`
	Reason            string             `json:"reason"`
	Priority          change.Priority    `json:"priority"`
	CreatedBy         string             `json:"created_by"`
	CreatedAt         time.Time          `json:"created_at"`
	ProcessedAt       *time.Time         `json:"processed_at"`
	// StartAt is when a scheduled request starts (null: it started when made); StartedAt
	// when it did.
	StartAt   *time.Time `json:"start_at"`
	StartedAt *time.Time `json:"started_at"`
	Counts    apiCounts  `json:"counts"`
	URL       string     `json:"url"`
	// UndoOf is the request this one undoes (null for others); UndoneBy the requests that
	// undo this one.
	UndoOf   *int64  `json:"undo_of"`
	UndoneBy []int64 `json:"undone_by"`
}

// apiCounts is how many rows of a request are in each status.
type apiCounts struct {
	Total      int `json:"total"`
	New        int `json:"new"`
	Processing int `json:"processing"`
	Processed  int `json:"processed"`
	APIFailed  int `json:"api_failed"`
	Error      int `json:"error"`
	Cancelled  int `json:"cancelled"`
}

// apiBulkChangeDetail is GET /api/v1/bulk-changes/{id}: the request and every row.
type apiBulkChangeDetail struct {
	apiBulkChange
	Rows []apiChangeRow `json:"rows"`
}

// apiChangeRow is one row of a request.
type apiChangeRow struct {
	ID               int64          `json:"id"`
	DeviceID         *int64         `json:"device_id"`
	Current          apiIdentifiers `json:"current"`
	NewICCID         string         `json:"new_iccid"`
	NewIMEI          string         `json:"new_imei"`
	ServicePlan      string         `json:"service_plan"`
	Status           change.Status  `json:"status"`
	StatusWords      string         `json:"status_words"` // the status as the portal says it: "failed at the carrier"
	StatusDetails    string         `json:"status_details"`
	CarrierRequestID string         `json:"carrier_request_id"`
	CreatedAt        time.Time      `json:"created_at"`
	SubmittedAt      *time.Time     `json:"submitted_at"`
	ProcessedAt      *time.Time     `json:"processed_at"`
	ModifiedAt       *time.Time     `json:"modified_at"`
}

// apiIdentifiers is a row's device as it was when the row was made.
type apiIdentifiers struct {
	ICCID  string `json:"iccid"`
	IMEI   string `json:"imei"`
	MSISDN string `json:"msisdn"`
	EID    string `json:"eid"`
}

// apiBulkChangeList is a page of GET /api/v1/bulk-changes.
type apiBulkChangeList struct {
	BulkChanges []apiBulkChange `json:"bulk_changes"`
	Page        int             `json:"page"`
	PerPage     int             `json:"per_page"`
	Total       int             `json:"total"`
	Pages       int             `json:"pages"`
}

// apiCancelled is the body of POST /api/v1/bulk-changes/{id}/cancel: how many rows not yet
// sent were cancelled (0 when none was waiting), and the request as it stands after.
type apiCancelled struct {
	Cancelled  int           `json:"cancelled"`
	Message    string        `json:"message"`
	BulkChange apiBulkChange `json:"bulk_change"`
}

// apiPaused is the body of POST /api/v1/bulk-changes/{id}/pause and /resume: what happened, in
// words, and the request as it stands after.
type apiPaused struct {
	Message    string        `json:"message"`
	BulkChange apiBulkChange `json:"bulk_change"`
}

// apiWebhookRequest is the body of POST /api/v1/webhooks.
type apiWebhookRequest struct {
	TenantID int64    `json:"tenant_id"` // admins only
	URL      string   `json:"url"`
	Events   []string `json:"events"`
}

// apiWebhook is an endpoint as the API shows it; its secret is never shown again.
type apiWebhook struct {
	ID            int64     `json:"id"`
	TenantID      int64     `json:"tenant_id"`
	URL           string    `json:"url"`
	Events        []string  `json:"events"`
	Active        bool      `json:"active"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	DeliveriesURL string    `json:"deliveries_url"` // the portal page with the delivery log
}

// apiWebhookCreated is the 201 body: the endpoint and its signing secret, shown this once.
type apiWebhookCreated struct {
	apiWebhook
	Secret string `json:"secret"`
}

// apiWebhookList is GET /api/v1/webhooks.
type apiWebhookList struct {
	Webhooks []apiWebhook `json:"webhooks"`
}
