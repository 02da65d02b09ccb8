// Package views holds idswap's templ components: the layout, one component per page, one per
// region htmx swaps (each with a stable id and data-testid), and the result e-mail. Components
// take the view models in this package; they never see echo, sessions or the database, and they
// compute nothing that a handler could prepare.
//
// Names follow one convention: a page is XPage(p XPageModel), a region htmx swaps is XRegion,
// and a page's view models live in x_model.go next to x.templ.
package views

// Layout is what every full page needs besides its body.
type Layout struct {
	Title string
	Nav   string // the navigation item to mark current: "dashboard", "devices", "changes", "new", "webhooks", "reports", "admin", "audit", "outbox", "password"
	User  *User  // nil on the login page
	CSRF  string // the session's CSRF token: forms carry it, htmx sends it as a header
	Flash *Flash
	// Incidents are the open operational incidents, shown to admins in a banner on every page.
	Incidents []Incident
}

// Incident is one open incident as the admins' banner shows it.
type Incident struct {
	Title, Detail, Since string
}

// User is the signed-in person as the layout shows them.
type User struct {
	Name    string
	Email   string
	Tenant  string // empty for admins
	IsAdmin bool
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string // ok, error, warn, info
	Message string
}

// ErrorPageModel is a whole-page error.
type ErrorPageModel struct {
	Layout
	Status  int
	Heading string
	Message string
}

// Pager is a page of results.
type Pager struct {
	Page, Pages, Total int
	PrevURL, NextURL   string // empty when there is no such page
}

// Option is an entry of a select.
type Option struct {
	Value, Label string
	Selected     bool
}
