package ident_test

import (
	"errors"
	"fmt"

	"github.com/idswap/idswap/internal/ident"
)

func ExampleParseICCID() {
	for _, in := range []string{
		`="8914 8000 0008 4259 0078"`,
		"8914800000084259007F",
		"8914800000084259002",
		"8.91480000001E+19",
	} {
		v, err := ident.ParseICCID(in)
		if err != nil {
			var e *ident.Error
			errors.As(err, &e)
			fmt.Printf("%s (%s)\n", err, e.Reason)
			continue
		}
		fmt.Println(v)
	}
	// Output:
	// 89148000000842590078
	// 8914800000084259007
	// ICCID 8914800000084259002: check digit is 2 but should be 7 (check_digit)
	// ICCID 8.91480000001E+19: a spreadsheet converted this value to a number in scientific notation and digits were lost; format the column as text and enter the full digits again (scientific_notation)
}

func ExampleDetect() {
	for _, in := range []string{
		"89141390780800784259",
		"49-015420-323751-8",
		"+1 (555) 555-0100",
		"4901542032375101",
	} {
		k, v, err := ident.Detect(in)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(k, v)
	}
	// Output:
	// ICCID 89141390780800784259
	// IMEI 490154203237518
	// MDN 5555550100
	// IMEI 4901542032375101: 16 digits is an IMEISV (a software version instead of the check digit); the 15-digit IMEI is needed, which for this IMEISV is 490154203237518
}

func ExampleEIDCheckDigits() {
	body := "890490321234512345123456789012"
	fmt.Println(body + ident.EIDCheckDigits(body))
	// Output: 89049032123451234512345678901235
}
