-- Issue 11: every change ends as the carrier says. Twin of db/migrations/sqlite/00004_carrier_truth.sql.
--
-- The callback listener gets its own username and password (sealed like the other secrets), which
-- the carrier echoes in every callback; a callback that does not echo them is kept with the reason
-- it was rejected. A row records when its change request left (SentDate: a claimed row without it
-- was never sent, so it can be sent at once after a crash), when the carrier's later word corrected
-- it, a contradiction an admin must settle ("needs attention"), and when the device was
-- first seen online with its new identifiers (OnlineSince).

-- +goose Up
ALTER TABLE ThingSpaceAuthentication ADD CallbackUsername NVARCHAR(100) NULL;
ALTER TABLE ThingSpaceAuthentication ADD CallbackPassword NVARCHAR(1000) NULL;
ALTER TABLE ThingSpaceAuthentication ADD ConfirmSuccesses BIT NOT NULL CONSTRAINT DF_ThingSpaceAuthentication_ConfirmSuccesses DEFAULT 0;
ALTER TABLE ThingSpaceCallBackResponseLog ADD RejectedReason NVARCHAR(200) NULL;
ALTER TABLE M2M_DeviceChange ADD SentDate DATETIME2(3) NULL;
ALTER TABLE M2M_DeviceChange ADD CorrectedDate DATETIME2(3) NULL;
ALTER TABLE M2M_DeviceChange ADD AttentionReason NVARCHAR(1000) NULL;
ALTER TABLE M2M_DeviceChange ADD AttentionDate DATETIME2(3) NULL;
ALTER TABLE M2M_DeviceChange ADD OnlineSince DATETIME2(3) NULL;
-- The "needs attention" list: few rows, read often.
CREATE INDEX IX_M2M_DeviceChange_Attention ON M2M_DeviceChange (AttentionDate) INCLUDE (BulkChangeId) WHERE AttentionDate IS NOT NULL;

-- +goose Down
ALTER TABLE M2M_DeviceChange DROP COLUMN OnlineSince;
DROP INDEX IX_M2M_DeviceChange_Attention ON M2M_DeviceChange;
ALTER TABLE M2M_DeviceChange DROP COLUMN AttentionDate;
ALTER TABLE M2M_DeviceChange DROP COLUMN AttentionReason;
ALTER TABLE M2M_DeviceChange DROP COLUMN CorrectedDate;
ALTER TABLE M2M_DeviceChange DROP COLUMN SentDate;
ALTER TABLE ThingSpaceCallBackResponseLog DROP COLUMN RejectedReason;
ALTER TABLE ThingSpaceAuthentication DROP CONSTRAINT DF_ThingSpaceAuthentication_ConfirmSuccesses;
ALTER TABLE ThingSpaceAuthentication DROP COLUMN ConfirmSuccesses;
ALTER TABLE ThingSpaceAuthentication DROP COLUMN CallbackPassword;
ALTER TABLE ThingSpaceAuthentication DROP COLUMN CallbackUsername;
