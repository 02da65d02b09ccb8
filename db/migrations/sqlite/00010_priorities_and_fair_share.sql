-- Priorities and a fair share of the carrier (issue 15, item 2), and a carrier limit that
-- counts requests the way the carrier does (issue 12, item 7). Twin of
-- db/migrations/sqlserver/00010_priorities_and_fair_share.sql.

-- +goose Up

-- A request is 'normal' or 'urgent'; urgent rows are sent before any normal row.
ALTER TABLE DeviceBulkChange ADD COLUMN Priority TEXT NOT NULL DEFAULT 'normal';
-- Whether the tenant's managers may mark their requests urgent (admins always may).
ALTER TABLE Tenant ADD COLUMN ManagersMayMarkUrgent INTEGER NOT NULL DEFAULT 0;

-- The fair lane of the queue: a request's carrier work (one change.submit per row) carries the
-- request's priority (0 urgent, 1 normal) and a turn (the round it is sent in: row k of a
-- request stored while the queue is at round r gets turn r + k - 1). Due jobs of the fair
-- lane are claimed in (Priority, Turn, Id) order, so requests take turns row by row. Jobs with
-- no turn (checks, e-mails, webhooks, retries, anything not due when queued) are the plain
-- lane, claimed first in RunAt order. A job is given a turn only when it is due as it is
-- queued, so every row of IX_Job_Fair is due and the claim's seek stops at the batch size.
ALTER TABLE Job ADD COLUMN Priority INTEGER NULL;
ALTER TABLE Job ADD COLUMN Turn INTEGER NULL;
CREATE INDEX IX_Job_Fair ON Job (Priority, Turn, Id) WHERE Status = 'queued' AND Turn IS NOT NULL;
CREATE INDEX IX_Job_Plain ON Job (RunAt, Id) WHERE Status = 'queued' AND Turn IS NULL;

-- ours: the provider's carrier permits. The carrier counts requests per one-second window
-- (the simulator's window opens at the first request after the last window closed). A permit
-- is held from before a request is sent until one second after its answer came back, and a
-- provider has as many permits as its rate: then no one-second window, wherever it starts,
-- can see more requests than the rate, whatever the latency. FreeDate is when the permit may
-- next be taken (database clock); HeldBy the process holding it, which renews FreeDate as its
-- lease while it holds it, so the permits of a process that died come back by themselves.
CREATE TABLE CarrierRatePermit (
    ServiceProviderId INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    Slot              INTEGER  NOT NULL,
    FreeDate          DATETIME NOT NULL,
    HeldBy            TEXT     NULL,
    PRIMARY KEY (ServiceProviderId, Slot)
);
CREATE INDEX IX_CarrierRatePermit_Free ON CarrierRatePermit (ServiceProviderId, FreeDate);
-- CarrierRateSchedule (00008), the schedule of send times this replaces, is dropped by 00012.

-- +goose Down
DROP INDEX IX_CarrierRatePermit_Free;
DROP TABLE CarrierRatePermit;
DROP INDEX IX_Job_Plain;
DROP INDEX IX_Job_Fair;
ALTER TABLE Job DROP COLUMN Turn;
ALTER TABLE Job DROP COLUMN Priority;
ALTER TABLE Tenant DROP COLUMN ManagersMayMarkUrgent;
ALTER TABLE DeviceBulkChange DROP COLUMN Priority;
