-- Priorities and a fair share of the carrier (issue 15, item 2), and a carrier limit that
-- counts requests the way the carrier does (issue 12, item 7). Twin of
-- db/migrations/sqlite/00010_priorities_and_fair_share.sql; see there for the why. Filtered
-- indexes need QUOTED_IDENTIFIER and ANSI_NULLS ON, which go-mssqldb sets.

-- +goose Up
ALTER TABLE DeviceBulkChange ADD Priority NVARCHAR(10) NOT NULL CONSTRAINT DF_DeviceBulkChange_Priority DEFAULT 'normal';
ALTER TABLE Tenant ADD ManagersMayMarkUrgent BIT NOT NULL CONSTRAINT DF_Tenant_ManagersMayMarkUrgent DEFAULT 0;

ALTER TABLE Job ADD Priority INT NULL;
ALTER TABLE Job ADD Turn BIGINT NULL;
-- The fair lane's claim seeks this in (Priority, Turn, Id) order and stops at the batch size:
-- every row of it is due (a job gets a turn only when it is due as it is queued).
CREATE INDEX IX_Job_Fair ON Job (Priority, Turn, Id) INCLUDE (RunAt) WHERE Status = 'queued' AND Turn IS NOT NULL;
-- The plain lane's claim seeks this in RunAt order and stops at the batch size.
CREATE INDEX IX_Job_Plain ON Job (RunAt, Id) WHERE Status = 'queued' AND Turn IS NULL;

CREATE TABLE CarrierRatePermit (
    ServiceProviderId INT           NOT NULL REFERENCES ServiceProvider (Id),
    Slot              INT           NOT NULL,
    FreeDate          DATETIME2(3)  NOT NULL,
    HeldBy            NVARCHAR(200) NULL,
    CONSTRAINT PK_CarrierRatePermit PRIMARY KEY (ServiceProviderId, Slot)
);
CREATE INDEX IX_CarrierRatePermit_Free ON CarrierRatePermit (ServiceProviderId, FreeDate);
-- CarrierRateSchedule (00008), the schedule of send times this replaces, is dropped by 00012.

-- +goose Down
DROP INDEX IX_CarrierRatePermit_Free ON CarrierRatePermit;
DROP TABLE CarrierRatePermit;
DROP INDEX IX_Job_Plain ON Job;
DROP INDEX IX_Job_Fair ON Job;
ALTER TABLE Job DROP COLUMN Turn;
ALTER TABLE Job DROP COLUMN Priority;
ALTER TABLE Tenant DROP CONSTRAINT DF_Tenant_ManagersMayMarkUrgent;
ALTER TABLE Tenant DROP COLUMN ManagersMayMarkUrgent;
ALTER TABLE DeviceBulkChange DROP CONSTRAINT DF_DeviceBulkChange_Priority;
ALTER TABLE DeviceBulkChange DROP COLUMN Priority;
