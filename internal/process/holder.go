package process

import (
	"context"
	"fmt"

	"github.com/idswap/idswap/internal/thingspace"
)

// LineWith asks the carrier which of a provider's lines holds an ICCID or an IMEI (kind
// "iccid" or "imei"): the device list filtered by that identifier, the lookup a row's carrier
// check makes (FindDevice), with the provider's credentials and under its rate limit. It
// returns the line's MDN and whether the carrier has a line with the identifier at all. An undo
// asks it before it gives a line its old SIM or device back (request.Service.PlanUndo): the
// carrier is the truth, and the SIM may have gone to a line idswap does not know.
func (e *Engine) LineWith(ctx context.Context, providerID int64, kind, value string) (mdn string, found bool, err error) {
	if kind != thingspace.KindICCID && kind != thingspace.KindIMEI {
		return "", false, fmt.Errorf("process: LineWith takes an ICCID or an IMEI, not %q", kind)
	}
	creds, err := e.store.ThingSpaceCredentials(ctx, providerID)
	if err != nil {
		return "", false, fmt.Errorf("cannot ask the carrier: %w", err)
	}
	client, err := e.client(creds)
	if err != nil {
		return "", false, fmt.Errorf("cannot ask the carrier: %w", err)
	}
	dev, err := client.FindDevice(ctx, thingspace.DeviceID{ID: value, Kind: kind})
	switch {
	case thingspace.ClassOf(err) == thingspace.ClassNotFound:
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	mdn, _ = dev.ID(thingspace.KindMDN)
	if mdn == "" {
		mdn, _ = dev.ID(thingspace.KindMSISDN)
	}
	return mdn, true, nil
}
