-- The job claim and the open-row rules, enforced by the database (issue 12; review findings 3,
-- 5, 8 and 11). Twin of db/migrations/sqlite/00003_claims_and_open_rows.sql. Filtered indexes
-- need QUOTED_IDENTIFIER and ANSI_NULLS ON, which go-mssqldb sets: apply with `idswap migrate`.

-- +goose Up

-- One open (NEW or PROCESSING) row per new ICCID, per new IMEI and per device. The request
-- checks say so first, with a message per line; these make it hold when two requests race
-- under READ COMMITTED, which takes no range locks. A violation is error 2601, mapped to the
-- same "already in an open change" conflict.
CREATE UNIQUE INDEX UX_M2M_DeviceChange_OpenNewICCID ON M2M_DeviceChange (NewICCID)
    WHERE Status IN ('NEW', 'PROCESSING') AND NewICCID IS NOT NULL;
CREATE UNIQUE INDEX UX_M2M_DeviceChange_OpenNewIMEI ON M2M_DeviceChange (NewIMEI)
    WHERE Status IN ('NEW', 'PROCESSING') AND NewIMEI IS NOT NULL;
CREATE UNIQUE INDEX UX_M2M_DeviceChange_OpenDevice ON M2M_DeviceChange (DeviceId)
    WHERE Status IN ('NEW', 'PROCESSING') AND DeviceId IS NOT NULL;

-- Each claim of a job gets its own token; a worker reports on a job with it, so a job its own
-- process claimed again after the lease ran out cannot be finished twice.
ALTER TABLE Job ADD ClaimToken NVARCHAR(32) NULL;
-- The takeover of expired leases seeks this in LockedUntil order and stops at the batch size.
CREATE INDEX IX_Job_Lease ON Job (LockedUntil) WHERE Status = 'running';
-- The purge of finished jobs deletes in small batches, oldest first.
CREATE INDEX IX_Job_Done ON Job (CompletedDate) WHERE Status = 'done';

-- +goose Down
DROP INDEX IX_Job_Done ON Job;
DROP INDEX IX_Job_Lease ON Job;
ALTER TABLE Job DROP COLUMN ClaimToken;
DROP INDEX UX_M2M_DeviceChange_OpenDevice ON M2M_DeviceChange;
DROP INDEX UX_M2M_DeviceChange_OpenNewIMEI ON M2M_DeviceChange;
DROP INDEX UX_M2M_DeviceChange_OpenNewICCID ON M2M_DeviceChange;
