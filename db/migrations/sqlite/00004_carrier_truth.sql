-- Issue 11: every change ends as the carrier says. Twin of db/migrations/sqlserver/00004_carrier_truth.sql.
--
-- The callback listener gets its own username and password (sealed like the other secrets), which
-- the carrier echoes in every callback; a callback that does not echo them is kept with the reason
-- it was rejected. A row records when its change request left (SentDate: a claimed row without it
-- was never sent, so it can be sent at once after a crash), when the carrier's later word corrected
-- it, a contradiction an admin must settle ("needs attention"), and when the device was
-- first seen online with its new identifiers (OnlineSince).

-- +goose Up
ALTER TABLE ThingSpaceAuthentication ADD COLUMN CallbackUsername TEXT NULL;
ALTER TABLE ThingSpaceAuthentication ADD COLUMN CallbackPassword TEXT NULL;
ALTER TABLE ThingSpaceAuthentication ADD COLUMN ConfirmSuccesses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ThingSpaceCallBackResponseLog ADD COLUMN RejectedReason TEXT NULL;
ALTER TABLE M2M_DeviceChange ADD COLUMN SentDate DATETIME NULL;
ALTER TABLE M2M_DeviceChange ADD COLUMN CorrectedDate DATETIME NULL;
ALTER TABLE M2M_DeviceChange ADD COLUMN AttentionReason TEXT NULL;
ALTER TABLE M2M_DeviceChange ADD COLUMN AttentionDate DATETIME NULL;
ALTER TABLE M2M_DeviceChange ADD COLUMN OnlineSince DATETIME NULL;
CREATE INDEX IX_M2M_DeviceChange_Attention ON M2M_DeviceChange (AttentionDate) WHERE AttentionDate IS NOT NULL;

-- +goose Down
ALTER TABLE M2M_DeviceChange DROP COLUMN OnlineSince;
DROP INDEX IX_M2M_DeviceChange_Attention;
ALTER TABLE M2M_DeviceChange DROP COLUMN AttentionDate;
ALTER TABLE M2M_DeviceChange DROP COLUMN AttentionReason;
ALTER TABLE M2M_DeviceChange DROP COLUMN CorrectedDate;
ALTER TABLE M2M_DeviceChange DROP COLUMN SentDate;
ALTER TABLE ThingSpaceCallBackResponseLog DROP COLUMN RejectedReason;
ALTER TABLE ThingSpaceAuthentication DROP COLUMN ConfirmSuccesses;
ALTER TABLE ThingSpaceAuthentication DROP COLUMN CallbackPassword;
ALTER TABLE ThingSpaceAuthentication DROP COLUMN CallbackUsername;
