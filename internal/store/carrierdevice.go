package store

import "context"

// CarrierDevice is the carrier-side copy of a line (table ThingSpaceDevice).
type CarrierDevice struct {
	ID       int64  `db:"Id"`
	ICCID    string `db:"ICCID"`
	IMEI     string `db:"IMEI"`
	MSISDN   string `db:"MSISDN"`
	RatePlan string `db:"RatePlan"`
}

// CarrierDevices lists a provider's live ThingSpaceDevice rows in Id order.
func (db *DB) CarrierDevices(ctx context.Context, providerID int64) ([]CarrierDevice, error) {
	t, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	var out []CarrierDevice
	err = t.sel(ctx, &out, `SELECT Id, COALESCE(ICCID, '') AS ICCID,
		COALESCE(IMEI, '') AS IMEI, COALESCE(MSISDN, '') AS MSISDN, COALESCE(RatePlan, '') AS RatePlan
		FROM ThingSpaceDevice WHERE ServiceProviderId = ? AND IsDeleted = 0 ORDER BY Id`, providerID)
	return out, err
}
