package thingspace

import "encoding/json"

// ListDevicesRequest is the body of POST /api/m2m/v1/devices/actions/list.
// Every field is optional and they combine with AND.
type ListDevicesRequest struct {
	// DeviceID asks for one device; the answer then carries extendedAttributes.
	DeviceID *DeviceID `json:"deviceId,omitempty"`
	// AccountName defaults to the client's account when empty.
	AccountName  string        `json:"accountName,omitempty"`
	GroupName    string        `json:"groupName,omitempty"`
	ServicePlan  string        `json:"servicePlan,omitempty"`
	CurrentState string        `json:"currentState,omitempty"`
	CustomFields []KeyValue    `json:"customFields,omitempty"`
	Earliest     string        `json:"earliest,omitempty"`
	Latest       string        `json:"latest,omitempty"`
	Filter       *DeviceFilter `json:"filter,omitempty"`
	// LargestDeviceIDSeen is the paging cursor; zero starts at the beginning.
	LargestDeviceIDSeen int64      `json:"largestDeviceIdSeen,omitempty"`
	MaxNumberOfDevices  int        `json:"maxNumberOfDevices,omitempty"`
	DeviceList          []DeviceID `json:"deviceList,omitempty"`
}

// DeviceFilter narrows a device list by parts of identifiers.
type DeviceFilter struct {
	DeviceIdentifierFilters []DeviceIdentifierFilter `json:"deviceIdentifierFilters"`
}

// DeviceIdentifierFilter matches identifiers of one kind by substring.
type DeviceIdentifierFilter struct {
	Kind       string `json:"kind"`
	Contains   string `json:"contains,omitempty"`
	StartsWith string `json:"startswith,omitempty"`
	EndsWith   string `json:"endswith,omitempty"`
}

// DeviceListPage is one page of a device list. The carrier answers HTTP 202
// when HasMoreData is true and 200 when it is false; both are success.
type DeviceListPage struct {
	HasMoreData bool     `json:"hasMoreData"`
	Devices     []Device `json:"devices"`
	// LargestDeviceIDSeen is not in the carrier's response model (§12.2):
	// it is read when present (the simulator sends it with -list-cursor),
	// and AllDevices pages by earliest when it is not.
	LargestDeviceIDSeen int64                      `json:"largestDeviceIdSeen,omitempty"`
	Extra               map[string]json.RawMessage `json:"-"`
}

type deviceListPageFields DeviceListPage

// UnmarshalJSON keeps unknown keys in Extra.
func (p *DeviceListPage) UnmarshalJSON(data []byte) error {
	var f deviceListPageFields
	extra, err := decodeWithExtra(data, &f)
	if err != nil {
		return err
	}
	*p = DeviceListPage(f)
	p.Extra = extra
	return nil
}

// MarshalJSON writes Extra back out.
func (p DeviceListPage) MarshalJSON() ([]byte, error) {
	f := deviceListPageFields(p)
	if f.Devices == nil {
		f.Devices = []Device{} // the carrier sends [], never null
	}
	return encodeWithExtra(f, p.Extra)
}

// Device is one device (line) as the carrier lists it. State and plan live in
// CarrierInformations, not at the top level.
type Device struct {
	AccountName         string                     `json:"accountName"`
	BillingCycleEndDate string                     `json:"billingCycleEndDate,omitempty"`
	CarrierInformations []CarrierInformation       `json:"carrierInformations"`
	Connected           bool                       `json:"connected"`
	CreatedAt           string                     `json:"createdAt,omitempty"`
	CustomFields        []KeyValue                 `json:"customFields,omitempty"`
	DeviceIDs           []DeviceID                 `json:"deviceIds"`
	ExtendedAttributes  []KeyValue                 `json:"extendedAttributes,omitempty"`
	GroupNames          []string                   `json:"groupNames,omitempty"`
	IPAddress           string                     `json:"ipAddress,omitempty"`
	LastActivationBy    string                     `json:"lastActivationBy,omitempty"`
	LastActivationDate  string                     `json:"lastActivationDate,omitempty"`
	LastConnectionDate  string                     `json:"lastConnectionDate,omitempty"`
	Extra               map[string]json.RawMessage `json:"-"`
}

type deviceFields Device

// UnmarshalJSON keeps unknown keys in Extra.
func (d *Device) UnmarshalJSON(data []byte) error {
	var f deviceFields
	extra, err := decodeWithExtra(data, &f)
	if err != nil {
		return err
	}
	*d = Device(f)
	d.Extra = extra
	return nil
}

// MarshalJSON writes Extra back out.
func (d Device) MarshalJSON() ([]byte, error) {
	return encodeWithExtra(deviceFields(d), d.Extra)
}

// ID returns the device's identifier of the given kind (any letter case).
func (d Device) ID(kind string) (string, bool) { return FindID(d.DeviceIDs, kind) }

// State is the state reported by the first carrier ("active", "suspend",
// "deactive", "pre-active"); compare it case-insensitively.
func (d Device) State() string {
	if len(d.CarrierInformations) == 0 {
		return ""
	}
	return d.CarrierInformations[0].State
}

// ServicePlan is the plan code reported by the first carrier.
func (d Device) ServicePlan() string {
	if len(d.CarrierInformations) == 0 {
		return ""
	}
	return d.CarrierInformations[0].ServicePlan
}

// CarrierInformation is the carrier's view of a device: plan code and state.
type CarrierInformation struct {
	CarrierName string                     `json:"carrierName"`
	ServicePlan string                     `json:"servicePlan"`
	State       string                     `json:"state"`
	Extra       map[string]json.RawMessage `json:"-"`
}

type carrierInformationFields CarrierInformation

// UnmarshalJSON keeps unknown keys in Extra.
func (c *CarrierInformation) UnmarshalJSON(data []byte) error {
	var f carrierInformationFields
	extra, err := decodeWithExtra(data, &f)
	if err != nil {
		return err
	}
	*c = CarrierInformation(f)
	c.Extra = extra
	return nil
}

// MarshalJSON writes Extra back out.
func (c CarrierInformation) MarshalJSON() ([]byte, error) {
	return encodeWithExtra(carrierInformationFields(c), c.Extra)
}
