package change

import (
	"fmt"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
)

// Type is an identifier change, named by the ThingSpace change4gOption that performs it.
type Type string

// The changes idswap runs.
const (
	ChangeICCID        Type = "ChangeICCID"        // a new SIM in the same device
	ChangeIMEI         Type = "ChangeIMEI"         // the same SIM in a new device
	ChangeIMEIandICCID Type = "ChangeIMEIandICCID" // a new SIM in a new device
)

// Types lists every change type in the order a person would choose them.
var Types = []Type{ChangeICCID, ChangeIMEI, ChangeIMEIandICCID}

// ParseType accepts a change type by name in any letter case.
func ParseType(s string) (Type, error) {
	for _, t := range Types {
		if strings.EqualFold(strings.TrimSpace(s), string(t)) {
			return t, nil
		}
	}
	return "", apperr.E(apperr.Invalid, "change type %q is not one of ChangeICCID, ChangeIMEI, ChangeIMEIandICCID", s)
}

// ID is the DeviceChangeRequestType row of the type (seeded by the first migration).
func (t Type) ID() int {
	switch t {
	case ChangeICCID:
		return 1
	case ChangeIMEI:
		return 2
	case ChangeIMEIandICCID:
		return 3
	}
	return 0
}

// TypeByID is the inverse of Type.ID.
func TypeByID(id int) (Type, error) {
	for _, t := range Types {
		if t.ID() == id {
			return t, nil
		}
	}
	return "", fmt.Errorf("change: unknown DeviceChangeRequestType id %d", id)
}

// NeedsICCID reports whether a row of this type must give a new ICCID.
func (t Type) NeedsICCID() bool { return t == ChangeICCID || t == ChangeIMEIandICCID }

// NeedsIMEI reports whether a row of this type must give a new IMEI.
func (t Type) NeedsIMEI() bool { return t == ChangeIMEI || t == ChangeIMEIandICCID }

// Label is how the type reads in the portal and in e-mails.
func (t Type) Label() string {
	switch t {
	case ChangeICCID:
		return "New SIM, same device (ICCID)"
	case ChangeIMEI:
		return "Same SIM, new device (IMEI)"
	case ChangeIMEIandICCID:
		return "New SIM and new device (ICCID + IMEI)"
	}
	return string(t)
}
