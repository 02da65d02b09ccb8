-- CarrierRateSchedule (00008), the schedule of send times that CarrierRatePermit (00010)
-- replaced, is no longer used: a schedule of sends could not keep the carrier's count of
-- arrivals in a window (see internal/store/carrierrate.go).
-- Twin of db/migrations/sqlserver/00012_drop_carrier_rate_schedule.sql.

-- +goose Up
DROP TABLE CarrierRateSchedule;

-- +goose Down
CREATE TABLE CarrierRateSchedule (
    ServiceProviderId INTEGER  NOT NULL PRIMARY KEY REFERENCES ServiceProvider (Id),
    NextSlotDate      DATETIME NOT NULL,
    GrantedDate       DATETIME NOT NULL,
    GrantedSlots      INTEGER  NOT NULL,
    GrantedTo         TEXT     NOT NULL
);
