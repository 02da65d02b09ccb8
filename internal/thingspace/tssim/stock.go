package tssim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// FetchStock asks a simulator for its unused SIMs and devices (GET /sim/v1/stock), for demo mode
// to offer identifiers a visitor can swap to. The simulator may run in-process or on its own
// (idswap tssim), so this goes over HTTP either way.
func FetchStock(ctx context.Context, baseURL string) (Stock, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/sim/v1/stock", nil)
	if err != nil {
		return Stock{}, fmt.Errorf("tssim: stock: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return Stock{}, fmt.Errorf("tssim: stock: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return Stock{}, fmt.Errorf("tssim: stock: HTTP %d: %s", res.StatusCode, b)
	}
	var st Stock
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		return Stock{}, fmt.Errorf("tssim: stock: %w", err)
	}
	return st, nil
}
