-- Scheduling and pausing (issue 15, item 1). Twin of db/migrations/sqlite/00009_scheduling.sql.
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
ALTER TABLE Tenant ADD MaintenanceDays INT NOT NULL CONSTRAINT DF_Tenant_MaintenanceDays DEFAULT 0;
ALTER TABLE Tenant ADD MaintenanceStartHour INT NOT NULL CONSTRAINT DF_Tenant_MaintenanceStartHour DEFAULT 0;
ALTER TABLE Tenant ADD MaintenanceEndHour INT NOT NULL CONSTRAINT DF_Tenant_MaintenanceEndHour DEFAULT 0;
ALTER TABLE DeviceBulkChange ADD StartAt DATETIME2(3) NULL;
ALTER TABLE DeviceBulkChange ADD StartedDate DATETIME2(3) NULL;
ALTER TABLE M2M_DeviceChange ADD HeldDate DATETIME2(3) NULL;

-- +goose Down
ALTER TABLE M2M_DeviceChange DROP COLUMN HeldDate;
ALTER TABLE DeviceBulkChange DROP COLUMN StartedDate;
ALTER TABLE DeviceBulkChange DROP COLUMN StartAt;
ALTER TABLE Tenant DROP CONSTRAINT DF_Tenant_MaintenanceEndHour;
ALTER TABLE Tenant DROP COLUMN MaintenanceEndHour;
ALTER TABLE Tenant DROP CONSTRAINT DF_Tenant_MaintenanceStartHour;
ALTER TABLE Tenant DROP COLUMN MaintenanceStartHour;
ALTER TABLE Tenant DROP CONSTRAINT DF_Tenant_MaintenanceDays;
ALTER TABLE Tenant DROP COLUMN MaintenanceDays;
