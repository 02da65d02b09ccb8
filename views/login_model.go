package views

// LoginPageModel is the sign-in page.
type LoginPageModel struct {
	Layout
	Email      string
	Error      string
	Next       string
	DemoLogins []DemoLogin // shown only in demo mode
}

// DemoLogin is one demo account offered on the sign-in page.
type DemoLogin struct{ Email, Role, Password string }
