package views

// ProvidersPageModel lists the service providers.
type ProvidersPageModel struct {
	Layout
	Rows []ProviderRow
}

// ProviderRow is one provider.
type ProviderRow struct {
	ID                        int64
	Name, BaseURL, Account    string
	Writes                    bool
	EditURL, PlansURL, InvURL string
}

// ProviderPageModel is the create or edit form of a provider.
type ProviderPageModel struct {
	Layout
	ID     int64  // 0: a new provider
	Action string // where the form posts
	Form   ProviderForm
	// HasSecret and HasPassword say the stored secrets are set (edit only): empty keeps them.
	HasSecret, HasPassword bool
	// WritesWereOn is the stored write gate: turning it on asks for the confirmation.
	WritesWereOn bool
	Error        string
	// Check is the connection test's answer, when one ran; CanSaveAnyway offers to save
	// after a failed test.
	Check         *ProviderCheck
	CanSaveAnyway bool
}

// ProviderForm is what the provider form holds (never a secret).
type ProviderForm struct {
	Name, BaseURL, Account, ClientID, UWSUser, NotificationEmail string
	Callbacks, Writes                                            bool
}

// ProviderCheck is a connection test's answer in words.
type ProviderCheck struct {
	OK     bool
	Steps  []string
	Answer string
}
