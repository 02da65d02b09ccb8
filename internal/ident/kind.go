package ident

import "fmt"

// Kind is the kind of an identifier.
type Kind int

// The identifier kinds. Zero means unknown, so a forgotten Kind is never mistaken for ICCID.
const (
	// ICCID identifies a SIM card (ITU-T E.118): 19 or 20 digits starting 89, Luhn check digit.
	ICCID Kind = iota + 1
	// IMEI identifies a device (3GPP TS 23.003): 15 digits, Luhn check digit.
	IMEI
	// EID identifies an eUICC (GSMA SGP.02/SGP.29): 32 digits, ISO/IEC 7064 MOD 97-10.
	EID
	// MDN is a North American phone number: 10 digits.
	MDN
)

// String returns the upper-case name of k, as account managers know it.
func (k Kind) String() string {
	switch k {
	case ICCID:
		return "ICCID"
	case IMEI:
		return "IMEI"
	case EID:
		return "EID"
	case MDN:
		return "MDN"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Parse parses s as an identifier of kind k and returns its normalised form.
// It is ParseICCID, ParseIMEI, ParseEID or ParseMDN chosen by k.
func Parse(k Kind, s string) (string, error) {
	switch k {
	case ICCID:
		return ParseICCID(s)
	case IMEI:
		return ParseIMEI(s)
	case EID:
		return ParseEID(s)
	case MDN:
		return ParseMDN(s)
	}
	return "", &Error{Kind: k, Input: s, Reason: ReasonUnknownKind,
		msg: fmt.Sprintf("%v is not an identifier kind this application parses", k)}
}
