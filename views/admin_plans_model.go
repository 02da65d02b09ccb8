package views

// PlansPageModel is a provider's plan catalogue with each plan's price and network types.
type PlansPageModel struct {
	Layout
	Providers []Option
	Provider  int64
	Rows      []PlanRow
	Error     string
	ErrorFor  int64 // 0: the import; otherwise the plan whose form failed
}

// PlanRow is one plan and its form.
type PlanRow struct {
	ID         int64
	Code, Name string
	MB         string
	Monthly    string
	Networks   []PlanNetwork
	URL        string
}

// PlanNetwork is one network type a plan may serve.
type PlanNetwork struct {
	Name    string
	Checked bool
}
