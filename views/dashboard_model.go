package views

// View models of the dashboard. Every coordinate of the chart is computed by the handler.

// DashboardPageModel is the start page.
type DashboardPageModel struct {
	Layout
	Scope      string // whose numbers: a tenant's name, or "every tenant"
	Week       []Stat
	Waiting    Stat
	OldestURL  string
	Chart      SuccessChart
	Codes      []CodeBar
	CodesSince string
	Recent     []BulkChangeRow
}

// Stat is one number of the dashboard.
type Stat struct {
	Label, Value, Hint, TestID string
}

// SuccessChart is the success rate per day, as SVG bars drawn by the server.
type SuccessChart struct {
	Width, Height int
	Summary       string // the chart in one sentence, for screen readers and the caption
	Bars          []ChartBar
	Grid          []ChartLine
	XLabels       []ChartLabel
	Days          []ChartDay // the same numbers as a table
	Empty         bool
}

// ChartBar is one day's bar.
type ChartBar struct {
	X, Y, W, H float64
	Class      string // ok, warn, bad
	Title      string
}

// ChartLine is a horizontal grid line with its label.
type ChartLine struct {
	Y      float64
	Label  string
	LabelX float64
}

// ChartLabel is a label under the x axis.
type ChartLabel struct {
	X     float64
	Label string
}

// ChartDay is one day of the chart as numbers.
type ChartDay struct {
	Day, Rate                string
	Processed, Failed, Total int
}

// CodeBar is one carrier error code and how many rows failed on it.
type CodeBar struct {
	Code  string
	Rows  int
	Width int // of its bar, 0–200
}
