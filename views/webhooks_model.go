package views

// Webhooks is the page of a tenant's webhook endpoints and the form that adds one.
type Webhooks struct {
	Layout
	Endpoints []WebhookRow
	Events    []Option // the form's event checkboxes
	URL       string   // the form's URL, kept when it comes back with an error
	Error     string   // what is wrong with the form
	Tenants   []Option // admins choose the tenant; nil for a manager
	// Created is the endpoint just added, with its secret: shown this once, never again.
	Created *WebhookCreated
	Demo    bool // plain http:// to this machine is allowed
}

// WebhookRow is one endpoint in the list.
type WebhookRow struct {
	ID      int64
	URL     string // the endpoint's page (delivery log)
	Target  string // where events are posted
	Tenant  string // for admins
	Events  string
	Created string
}

// WebhookCreated is the answer to adding an endpoint.
type WebhookCreated struct {
	Target, Secret string
}

// WebhookLog is an endpoint's page: its deliveries, each with "send again".
type WebhookLog struct {
	Layout
	Target     string
	Events     string
	Deliveries []WebhookDeliveryRow
}

// WebhookDeliveryRow is one delivery.
type WebhookDeliveryRow struct {
	ID           int64
	Event        string
	Status       string
	Attempts     int
	ResponseCode string
	LastError    string
	Created      string
	Delivered    string
	ResendURL    string
}
