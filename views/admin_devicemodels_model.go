package views

// DeviceModelsPageModel uploads a TAC CSV, previews it and lists the stored models.
type DeviceModelsPageModel struct {
	Layout
	Header string // the CSV header the file must start with
	Error  string
	// Preview is set after an upload: the rows that can be stored, an error per bad row, and
	// the file itself, carried to the confirm form so that what is stored is what was shown.
	Preview *ModelPreview
	Models  []ModelRow
}

// ModelPreview is a checked TAC CSV.
type ModelPreview struct {
	Rows   []ModelRow
	Errors []string
	CSV    string
}

// ModelRow is one device model range.
type ModelRow struct {
	Line                         int
	FromIMEI, ToIMEI             string
	Manufacturer, Model, Network string
}
