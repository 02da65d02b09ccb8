package tssim

import "time"

// Seed is the carrier state a simulator starts from (unless a state file
// already holds a later state). The demo builds it from its own data.
type Seed struct {
	Accounts []Account `json:"accounts"`
	Lines    []Line    `json:"lines"`
	// SIMs are spare SIMs on the shelf: known to the carrier, inactive, on no line.
	SIMs []SIM `json:"sims"`
	// Devices are spare devices on the shelf.
	Devices []Hardware `json:"devices"`
	Plans   []Plan     `json:"plans"`
	// TACs give the network type of any IMEI by its first eight digits.
	TACs []TACRange `json:"tacs"`
}

// Account is a carrier account with its two credential sets: OAuth key and
// secret for the token, UWS username and password for the session.
type Account struct {
	// Name is the account name, e.g. "0000123456-00001".
	Name         string `json:"name"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Username     string `json:"username"`
	Password     string `json:"password"`
}

// Line states as the carrier writes them.
const (
	StateActive    = "active"
	StateSuspend   = "suspend"
	StateDeactive  = "deactive"
	StatePreActive = "pre-active"
)

// Line is a line (device) of an account as the carrier holds it.
type Line struct {
	Account     string `json:"account"`
	MDN         string `json:"mdn"`
	ICCID       string `json:"iccid"`
	IMEI        string `json:"imei"`
	EID         string `json:"eid,omitempty"`
	State       string `json:"state"`
	ServicePlan string `json:"servicePlan"` // plan code
	// Groups are the ThingSpace device groups the line is in; CustomFields its custom
	// fields (CustomField1…5 on the carrier). Both are listed with the line and filter lists.
	Groups       []string          `json:"groups,omitempty"`
	CustomFields map[string]string `json:"customFields,omitempty"`
	// LastSeen, in a seed, is when the line last connected (its lastConnectionDate); nil:
	// never. The simulator keeps it with the line's state from then on.
	LastSeen *time.Time `json:"lastSeen,omitempty"`
}

// SIM is a spare SIM.
type SIM struct {
	ICCID string `json:"iccid"`
}

// Hardware is a device (spare or known) with its network type.
type Hardware struct {
	IMEI        string `json:"imei"`
	Make        string `json:"make,omitempty"`
	Model       string `json:"model,omitempty"`
	NetworkType string `json:"networkType,omitempty"`
}

// Plan is a carrier service plan. NetworkTypes lists the network types it
// supports; empty means every type.
type Plan struct {
	Code                   string   `json:"code"`
	Name                   string   `json:"name"`
	SizeKb                 int64    `json:"sizeKb"`
	CarrierServicePlanCode string   `json:"carrierServicePlanCode"`
	NetworkTypes           []string `json:"networkTypes,omitempty"`
}

// TACRange maps a type allocation code (first 8 IMEI digits) to a model.
type TACRange struct {
	TAC         string `json:"tac"`
	Make        string `json:"make,omitempty"`
	Model       string `json:"model,omitempty"`
	NetworkType string `json:"networkType"`
}

// Network types used by the demo seed.
const (
	NetworkCat1  = "LTE Cat-1"
	NetworkLTEM  = "LTE-M"
	NetworkNBIoT = "NB-IoT"
	Network5G    = "5G"
)

// DemoClientSecret is the demo account's OAuth secret.
const DemoClientSecret = "Ab+c/d=e&f%g h"

// DemoSeed returns a small, self-consistent carrier: one account, five lines
// (one suspended, one pre-active without an MDN), spare SIMs and devices of
// every network type, four plans. Every identifier passes the strict checks.
// The credentials are for local use only; the OAuth secret holds the
// characters that URL-encoding would change (+ / = & % and a space), so
// every client test proves the key and secret go out raw (§12.1).
func DemoSeed() Seed {
	const acct = "0000123456-00001"
	return Seed{
		Accounts: []Account{{Name: acct, ClientID: "demo-key", ClientSecret: DemoClientSecret, Username: "demo-user", Password: "demo-password"}},
		Plans: []Plan{
			{Code: "M2MCAT1-5GB", Name: "Cat-1 5 GB", SizeKb: 5242880, CarrierServicePlanCode: "84638", NetworkTypes: []string{NetworkCat1, Network5G}},
			{Code: "M2MLTEM-1GB", Name: "LTE-M 1 GB", SizeKb: 1048576, CarrierServicePlanCode: "84701", NetworkTypes: []string{NetworkLTEM, NetworkNBIoT}},
			{Code: "M2MNBIOT-50MB", Name: "NB-IoT 50 MB", SizeKb: 51200, CarrierServicePlanCode: "84702", NetworkTypes: []string{NetworkNBIoT}},
			{Code: "M2MSHR-UNL", Name: "Shared unlimited", SizeKb: 0, CarrierServicePlanCode: "84800"},
		},
		TACs: []TACRange{
			{TAC: "35332011", Make: "Quectel", Model: "EG91", NetworkType: NetworkCat1},
			{TAC: "86754804", Make: "Quectel", Model: "BG96", NetworkType: NetworkLTEM},
			{TAC: "86823805", Make: "u-blox", Model: "SARA-N410", NetworkType: NetworkNBIoT},
			{TAC: "35291311", Make: "Telit", Model: "FN980", NetworkType: Network5G},
		},
		Lines: []Line{
			{Account: acct, MDN: "5095550101", ICCID: "89148000000000010000", IMEI: "353320110001000", State: StateActive, ServicePlan: "M2MCAT1-5GB"},
			{Account: acct, MDN: "5095550102", ICCID: "89148000000000010018", IMEI: "353320110001018", State: StateActive, ServicePlan: "M2MCAT1-5GB"},
			{Account: acct, MDN: "5095550103", ICCID: "89148000000000010026", IMEI: "867548040001000", State: StateActive, ServicePlan: "M2MLTEM-1GB"},
			{Account: acct, MDN: "5095550104", ICCID: "89148000000000010034", IMEI: "867548040001018", State: StateSuspend, ServicePlan: "M2MLTEM-1GB"},
			{Account: acct, MDN: "", ICCID: "89148000000000010042", IMEI: "868238050001004", State: StatePreActive, ServicePlan: "M2MNBIOT-50MB"},
		},
		SIMs: []SIM{
			{ICCID: "89148000000000010059"}, {ICCID: "89148000000000010067"}, {ICCID: "89148000000000010075"},
			{ICCID: "89148000000000010083"}, {ICCID: "89148000000000010091"}, {ICCID: "89148000000000010109"},
		},
		Devices: []Hardware{
			{IMEI: "353320110001026", Make: "Quectel", Model: "EG91", NetworkType: NetworkCat1},
			{IMEI: "353320110001034", Make: "Quectel", Model: "EG91", NetworkType: NetworkCat1},
			{IMEI: "867548040001026", Make: "Quectel", Model: "BG96", NetworkType: NetworkLTEM},
			{IMEI: "868238050001012", Make: "u-blox", Model: "SARA-N410", NetworkType: NetworkNBIoT},
			{IMEI: "352913110001003", Make: "Telit", Model: "FN980", NetworkType: Network5G},
		},
	}
}
