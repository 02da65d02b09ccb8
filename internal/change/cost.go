package change

import (
	"fmt"
	"math"
)

// Cents turns a price in dollars, as the plan catalogue stores it, into whole cents, so that
// sums over thousands of devices are exact.
func Cents(dollars float64) int64 { return int64(math.Round(dollars * 100)) }

// CostChange is what a device's monthly price changes by when it moves from one plan to another,
// in cents; from is nil for a device with no plan today.
func CostChange(from *Plan, to Plan) int64 {
	if from == nil {
		return to.MonthlyCents
	}
	return to.MonthlyCents - from.MonthlyCents
}

// FormatCents writes an amount of cents as dollars: "$4.50", "-$1.25".
func FormatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s$%s.%02d", sign, thousands(c/100), c%100)
}

// FormatCentsChange writes a change of price with its sign: "+$1.50", "-$2.00", "no change".
func FormatCentsChange(c int64) string {
	switch {
	case c > 0:
		return "+" + FormatCents(c)
	case c < 0:
		return FormatCents(c)
	}
	return "no change"
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
