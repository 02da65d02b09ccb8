package views

// SessionsPageModel is a user's list of their signed-in sessions.
type SessionsPageModel struct {
	Layout
	Sessions []SessionRow
}

// SessionRow is one signed-in session.
type SessionRow struct {
	ID       int64
	Address  string
	Browser  string
	SignedIn string
	LastSeen string
	Expires  string
	Current  bool   // the session this page is shown in
	EndURL   string // where its End button posts
	EndLabel string // the button's accessible name
}

// TokensPageModel lists API tokens: a user's own, or (Admin) everyone's.
type TokensPageModel struct {
	Layout
	Admin    bool // every user's tokens, with an owner column and no create form
	Tokens   []TokenRow
	NewToken string // the token just created, shown once
	Form     TokenForm
}

// TokenForm is the "new token" form.
type TokenForm struct {
	Name, Scope, Days string
	Error             string
}

// TokenRow is one API token.
type TokenRow struct {
	ID        int64
	Owner     string
	Name      string
	Prefix    string
	Scope     string
	Created   string
	Expires   string
	LastUsed  string
	State     string // active, expired, revoked
	RevokeURL string // empty unless it can still be revoked
}
