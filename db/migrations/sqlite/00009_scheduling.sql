-- Scheduling and pausing (issue 15, item 1). Twin of db/migrations/sqlserver/00009_scheduling.sql.
--
-- ours: a tenant's maintenance window, in its TimeZone: MaintenanceDays is a bit set of week
-- days (1 = Sunday, 2 = Monday, … 64 = Saturday; 0 = no window), the window opens at
-- MaintenanceStartHour and closes at MaintenanceEndHour (an end at or before the start runs
-- past midnight into the next day).
-- ours: DeviceBulkChange.StartAt is when a SCHEDULED request starts (UTC; NULL: at once);
-- StartedDate is when it did (the start job or a resume released its rows).
-- ours: M2M_DeviceChange.HeldDate is when the row's submit job found its request paused and
-- stopped without sending: resume queues a submit job again for exactly these rows.

-- +goose Up
ALTER TABLE Tenant ADD COLUMN MaintenanceDays INTEGER NOT NULL DEFAULT 0;
ALTER TABLE Tenant ADD COLUMN MaintenanceStartHour INTEGER NOT NULL DEFAULT 0;
ALTER TABLE Tenant ADD COLUMN MaintenanceEndHour INTEGER NOT NULL DEFAULT 0;
ALTER TABLE DeviceBulkChange ADD COLUMN StartAt DATETIME NULL;
ALTER TABLE DeviceBulkChange ADD COLUMN StartedDate DATETIME NULL;
ALTER TABLE M2M_DeviceChange ADD COLUMN HeldDate DATETIME NULL;

-- +goose Down
ALTER TABLE M2M_DeviceChange DROP COLUMN HeldDate;
ALTER TABLE DeviceBulkChange DROP COLUMN StartedDate;
ALTER TABLE DeviceBulkChange DROP COLUMN StartAt;
ALTER TABLE Tenant DROP COLUMN MaintenanceEndHour;
ALTER TABLE Tenant DROP COLUMN MaintenanceStartHour;
ALTER TABLE Tenant DROP COLUMN MaintenanceDays;
