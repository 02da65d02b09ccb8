package views

// UsersPageModel lists users with the create form and each user's actions.
type UsersPageModel struct {
	Layout
	Rows    []UserRow
	Tenants []Option
	New     NewUserForm
	// Error is the answer to the form that failed: ErrorFor 0 is the create form, otherwise
	// the user whose row's form it was.
	Error    string
	ErrorFor int64
}

// NewUserForm is what the create form holds.
type NewUserForm struct {
	Email, DisplayName, Role string
}

// UserRow is one user.
type UserRow struct {
	ID                int64
	Email, Name, Role string
	Tenant            string
	Active            bool
	LastLogin         string // "never" when the user has not signed in
	ActiveURL         string
	PasswordURL       string
	Self              bool // the signed-in admin: cannot disable themselves
}
