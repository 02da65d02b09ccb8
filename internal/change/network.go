package change

// The radio technologies a plan can serve. An IMEI's network type comes from the TAC range
// table (IMEI_DeviceType_CarrierRatePlan); a plan lists the types it serves.
const (
	NetworkLTECat1 = "LTE Cat-1"
	NetworkLTEM    = "LTE-M"
	NetworkNBIoT   = "NB-IoT"
	Network5G      = "5G"
)

// NetworkTypes lists them from the most to the least capable.
var NetworkTypes = []string{Network5G, NetworkLTECat1, NetworkLTEM, NetworkNBIoT}
