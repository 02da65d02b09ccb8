package ident_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/idswap/idswap/internal/ident"
)

// The checks below are written again here, on purpose differently from the package (doubling by
// table, remainder by long division on int64 chunks), so a bug in the package cannot hide itself.

// luhnOK reports whether d passes the Luhn check.
func luhnOK(d string) bool {
	doubled := [10]int{0, 2, 4, 6, 8, 1, 3, 5, 7, 9}
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n = doubled[n]
		}
		sum += n
	}
	return len(d) > 1 && sum%10 == 0
}

// mod97OK reports whether d, read as a number, is 1 modulo 97, taking 9 digits at a time.
func mod97OK(d string) bool {
	var r int64
	for len(d) > 0 {
		n := min(9, len(d))
		var chunk, scale int64 = 0, 1
		for i := 0; i < n; i++ {
			chunk = chunk*10 + int64(d[i]-'0')
			scale *= 10
		}
		r = (r*scale + chunk) % 97
		d = d[n:]
	}
	return r == 1
}

func onlyASCIIDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// asciiDigits returns the ASCII digits of s in order.
func asciiDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// checkAccepted fails t unless v is a valid value of kind k read from input in.
func checkAccepted(t *testing.T, k ident.Kind, in, v string) {
	t.Helper()
	if !onlyASCIIDigits(v) {
		t.Fatalf("%v accepted %q as %q, which is not only digits", k, in, v)
	}
	// No digit may be invented, dropped or reordered: the input's digits are the value's,
	// apart from an MDN's country code.
	if d := asciiDigits(in); d != v && !(k == ident.MDN && d == "1"+v) {
		t.Fatalf("%v accepted %q as %q, but the input's digits are %q", k, in, v, d)
	}
	// Letters are refused, never read as digits (8.9E+19); the only letter allowed is the ICCID F pad.
	for _, r := range in {
		if unicode.IsLetter(r) && !(k == ident.ICCID && (r == 'F' || r == 'f')) {
			t.Fatalf("%v accepted %q, which contains the letter %q", k, in, r)
		}
	}
	switch k {
	case ident.ICCID:
		if (len(v) != 19 && len(v) != 20) || !strings.HasPrefix(v, "89") || !luhnOK(v) {
			t.Fatalf("ICCID accepted %q as %q: wrong length, prefix or Luhn", in, v)
		}
	case ident.IMEI:
		if len(v) != 15 || !luhnOK(v) {
			t.Fatalf("IMEI accepted %q as %q: wrong length or Luhn", in, v)
		}
	case ident.EID:
		if len(v) != 32 || !mod97OK(v) {
			t.Fatalf("EID accepted %q as %q: wrong length or mod 97", in, v)
		}
	case ident.MDN:
		if len(v) != 10 || v[0] < '2' || v[3] < '2' {
			t.Fatalf("MDN accepted %q as %q: wrong length, area or exchange code", in, v)
		}
	default:
		t.Fatalf("accepted %q as unknown kind %v", in, k)
	}
	// A normalised value must read back as itself, so it can be stored and parsed again.
	if again, err := ident.Parse(k, v); err != nil || again != v {
		t.Fatalf("%v: normalised %q parses again as %q, %v", k, v, again, err)
	}
	// Any single wrong last digit must be caught, which is what a check digit is for.
	if k == ident.ICCID || k == ident.IMEI {
		for c := byte('0'); c <= '9'; c++ {
			if c == v[len(v)-1] {
				continue
			}
			flipped := v[:len(v)-1] + string(c)
			if got, err := ident.Parse(k, flipped); err == nil {
				t.Fatalf("%v accepted %q (last digit of valid %q changed) as %q", k, flipped, v, got)
			}
		}
	}
}

// checkRefused fails t unless err is a well-formed *ident.Error for input in.
func checkRefused(t *testing.T, k ident.Kind, in string, err error) {
	t.Helper()
	var e *ident.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v refused %q with %T, not *ident.Error: %v", k, in, err, err)
	}
	if e.Kind != k && k != 0 {
		t.Fatalf("%v refused %q with an error of kind %v", k, in, e.Kind)
	}
	if e.Input != in || e.Reason == "" || e.Error() == "" {
		t.Fatalf("%v refused %q with incomplete error %+v", k, in, e)
	}
	if n := utf8.RuneCountInString(ident.Clean(in)); e.Pos < 0 || e.Pos > n {
		t.Fatalf("%v refused %q: Pos %d outside the %d cleaned characters", k, in, e.Pos, n)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", " ", "F", "+", "()", "=\"\"",
		"490154203237518", "49-015420-323751-8", "4901542032375101", "49015420323751", "49015420323751A",
		"990013907835573",
		"89141390780800784259", "89148000000842590078", "8914800000084259007F", "89148000000800139708",
		"42590078891480000008", "8914800000084260000",
		"\uFEFF\"8914 8000 0008 4259 0078\"", "=\"89148000000842590078\"", "'490154203237518",
		"\u201C490154203237518\u201D", "4901\u00A05420\u202F3237\t518", "490154.203237.518",
		"8.91480000001E+19", "8,91480000001E+19", "8.9148E19", "8.9148e+19", "490154203237518.0",
		"89,148,000,000,842,600,000",
		"89049032123451234512345678901235", "89049032123451234512345678901236",
		"5555550100", "(555) 555-0100", "+1 555 555 0100", "15555550100", "+44 20 7946 0958", "(155) 555-0100",
		"\u202A+1 555-555-0100\u202C", "89148000000842590078\n89141390780800784259",
	} {
		f.Add(seed)
	}
	kinds := []ident.Kind{ident.ICCID, ident.IMEI, ident.EID, ident.MDN}
	parsers := map[ident.Kind]func(string) (string, error){
		ident.ICCID: ident.ParseICCID,
		ident.IMEI:  ident.ParseIMEI,
		ident.EID:   ident.ParseEID,
		ident.MDN:   ident.ParseMDN,
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, k := range kinds {
			v, err := parsers[k](in)
			if viaKind, errViaKind := ident.Parse(k, in); viaKind != v || (err == nil) != (errViaKind == nil) {
				t.Fatalf("Parse(%v, %q) = %q, %v but its own parser gave %q, %v", k, in, viaKind, errViaKind, v, err)
			}
			if err != nil {
				if v != "" {
					t.Fatalf("%v returned %q alongside error %v", k, v, err)
				}
				checkRefused(t, k, in, err)
				continue
			}
			checkAccepted(t, k, in, v)
		}

		k, v, err := ident.Detect(in)
		if err != nil {
			if k != 0 || v != "" {
				t.Fatalf("Detect(%q) returned %v, %q alongside error %v", in, k, v, err)
			}
			checkRefused(t, 0, in, err)
			return
		}
		checkAccepted(t, k, in, v)
		if want, _ := ident.Parse(k, in); want != v {
			t.Fatalf("Detect(%q) = %v %q, but Parse(%v) gives %q", in, k, v, k, want)
		}
	})
}
