package views

// AdminPageModel is the admin console's start page: what an admin sets up, in the order a new
// install needs it.
type AdminPageModel struct {
	Layout
}

// PasswordPageModel is the page where a signed-in user changes their own password.
type PasswordPageModel struct {
	Layout
	Error string
}
