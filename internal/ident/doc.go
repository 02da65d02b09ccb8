// Package ident parses, normalises and validates the identifiers of IoT lines: ICCID (SIM),
// IMEI (device), EID (eSIM) and MDN (phone number).
//
// Input comes from people: pasted from e-mails, typed into forms, uploaded in spreadsheets. The
// parsers therefore forgive harmless formatting (spaces, dashes, quotes, a byte-order mark) but never
// repair a value whose digits may have changed, such as one a spreadsheet turned into 8.91E+19.
// Every refusal is an *Error that says, for an account manager, what is wrong and where.
//
// The package does no I/O and imports only the standard library.
package ident
