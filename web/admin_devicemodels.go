package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/onboard"
	"github.com/idswap/idswap/internal/paths"
	"github.com/idswap/idswap/views"
)

// maxModelCSV is the largest TAC CSV read: 10,000 rows of about 80 bytes, with room.
const maxModelCSV = 2 << 20

// adminDeviceModels is the upload form and the stored TAC table.
func (s *Server) adminDeviceModels(c echo.Context) error {
	return s.renderModels(c, http.StatusOK, views.DeviceModelsPageModel{})
}

func (s *Server) renderModels(c echo.Context, status int, m views.DeviceModelsPageModel) error {
	ms, err := s.store.DeviceModels(c.Request().Context())
	if err != nil {
		return err
	}
	m.Layout, m.Header = layout(c, "Device models", "admin"), onboard.DeviceModelCSVHeader
	for _, x := range ms {
		m.Models = append(m.Models, views.ModelRow{FromIMEI: x.FromIMEI, ToIMEI: x.ToIMEI, Manufacturer: x.Manufacturer, Model: x.Model,
			Network: x.NetworkType})
	}
	return render(c, status, views.DeviceModelsPage(m))
}

// previewDeviceModels checks an uploaded TAC CSV and shows every row, with an error per bad
// row. It stores nothing; a preview without errors offers to store it.
func (s *Server) previewDeviceModels(c echo.Context) error {
	text, err := uploadedText(c, "file")
	if err == nil {
		var p *onboard.DeviceModelPreview
		if p, err = onboard.PreviewDeviceModels(strings.NewReader(text)); err == nil {
			status := http.StatusOK
			if len(p.Errors) > 0 {
				status = http.StatusUnprocessableEntity
			}
			return s.renderModels(c, status, views.DeviceModelsPageModel{Preview: modelPreview(p, text)})
		}
	}
	if msg, ok := formFailure(err); ok {
		return s.renderModels(c, http.StatusUnprocessableEntity, views.DeviceModelsPageModel{Error: msg})
	}
	return err
}

// storeDeviceModels stores the previewed file: it is checked again, and stored only whole.
func (s *Server) storeDeviceModels(c echo.Context) error {
	text := c.FormValue("csv")
	p, err := onboard.PreviewDeviceModels(strings.NewReader(text))
	var n int
	if err == nil {
		n, err = s.onboard.StoreDeviceModels(c.Request().Context(), actor(c), p)
	}
	if err != nil {
		if msg, ok := formFailure(err); ok {
			m := views.DeviceModelsPageModel{Error: msg}
			if p != nil {
				m.Preview = modelPreview(p, text)
			}
			return s.renderModels(c, http.StatusUnprocessableEntity, m)
		}
		return err
	}
	return done(c, paths.AdminDeviceModels, fmt.Sprintf("%d device model(s) stored.", n))
}

func modelPreview(p *onboard.DeviceModelPreview, text string) *views.ModelPreview {
	v := &views.ModelPreview{Errors: p.Errors, CSV: text}
	for _, r := range p.Rows {
		v.Rows = append(v.Rows, views.ModelRow{Line: r.Line, FromIMEI: r.FromIMEI, ToIMEI: r.ToIMEI, Manufacturer: r.Manufacturer,
			Model: r.Model, Network: r.NetworkType})
	}
	return v
}

// uploadedText reads an uploaded file of the form as text.
func uploadedText(c echo.Context, field string) (string, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return "", apperr.E(apperr.Invalid, "Choose a CSV file to upload.")
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxModelCSV+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxModelCSV {
		return "", apperr.E(apperr.Invalid, "The file is larger than %d MB; split it.", maxModelCSV>>20)
	}
	return string(b), nil
}
