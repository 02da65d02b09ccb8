package tssim

import (
	"math/big"
	"strings"

	"github.com/idswap/idswap/internal/thingspace"
)

// knownKinds are the identifier kinds the carrier documents (§4.2).
func knownKind(kind string) bool {
	switch strings.ToLower(kind) {
	case thingspace.KindICCID, thingspace.KindIMEI, thingspace.KindMDN, thingspace.KindMSISDN,
		thingspace.KindEID, thingspace.KindMEID, thingspace.KindESN, thingspace.KindIMSI, thingspace.KindMIN:
		return true
	}
	return false
}

// validIdentifier checks format and length per §9; strict adds check digits
// and prefixes.
func validIdentifier(kind, id string, strict bool) bool {
	switch strings.ToLower(kind) {
	case thingspace.KindICCID:
		if !digits(id, 18, 20) {
			return false
		}
		return !strict || (strings.HasPrefix(id, "89") && len(id) >= 19 && luhn(id))
	case thingspace.KindIMEI:
		if !digits(id, 14, 16) {
			return false
		}
		// A 16-digit IMEISV has no check digit.
		return !strict || (len(id) == 15 && luhn(id)) || len(id) == 16
	case thingspace.KindMDN, thingspace.KindMIN:
		if !digits(id, 10, 10) {
			return false
		}
		return !strict || (id[0] >= '2' && id[3] >= '2')
	case thingspace.KindMSISDN:
		return digits(id, 10, 15)
	case thingspace.KindEID:
		if !digits(id, 32, 32) {
			return false
		}
		if !strict {
			return true
		}
		n, _ := new(big.Int).SetString(id, 10)
		return new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
	case thingspace.KindMEID:
		return hexDigits(id, 14, 15)
	case thingspace.KindESN:
		return hexDigits(id, 8, 8) || digits(id, 11, 11)
	case thingspace.KindIMSI:
		return digits(id, 6, 15)
	}
	return false
}

func digits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func hexDigits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for _, r := range strings.ToLower(s) {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// luhn reports whether the last digit is the Luhn check digit of the rest.
func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
