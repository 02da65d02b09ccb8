package web

import "github.com/idswap/idswap/internal/request"

// checkFreeText is request.CheckFreeText for the web layer's own fields.
func checkFreeText(field, s string) string { return request.CheckFreeText(field, s) }
