-- Indexes for watching and finding: the admin audit search (any identifier, current or past;
-- tenant, batch, requester, row status, entry type and date filters; keyset paging newest
-- first), the device page, the dashboard and the bulk change list. Twin of
-- db/migrations/sqlserver/00002_audit_search_indexes.sql. The benchmark that chose them is
-- BenchmarkAuditSearch in internal/store.

-- +goose Up

-- A bulk change row named by the line's MDN or EID (ICCID, IMEI, NewICCID and NewIMEI have theirs).
CREATE INDEX IX_M2M_DeviceChange_MSISDN ON M2M_DeviceChange (MSISDN);
CREATE INDEX IX_M2M_DeviceChange_EID ON M2M_DeviceChange (EID);
-- Rows by status and finishing time: the dashboard's success rate, failures and waiting rows.
CREATE INDEX IX_M2M_DeviceChange_StatusDate ON M2M_DeviceChange (Status, ProcessedDate);
-- Log entries of a batch as a whole (no row): small, and found without reading the row entries.
CREATE INDEX IX_M2MDeviceBulkChangeLog_BatchLevel ON M2MDeviceBulkChangeLog (BulkChangeId, ProcessedDate) WHERE M2MDeviceChangeId IS NULL;
-- Identifier history by batch, by tenant (newest first) and by bulk change row.
CREATE INDEX IX_DeviceIdentifierChangeHistory_Change ON DeviceIdentifierChangeHistory (M2MDeviceChangeId);
CREATE INDEX IX_DeviceIdentifierChangeHistory_Bulk ON DeviceIdentifierChangeHistory (BulkChangeId, ChangeDate);
CREATE INDEX IX_DeviceIdentifierChangeHistory_Tenant ON DeviceIdentifierChangeHistory (TenantId, ChangeDate);
-- Batches by requester (the list's and the audit search's user filter), audit events by actor.
CREATE INDEX IX_DeviceBulkChange_CreatedBy ON DeviceBulkChange (CreatedBy, CreatedDate);
CREATE INDEX IX_AuditEvent_Actor ON AuditEvent (Actor, CreatedDate);

-- +goose Down
DROP INDEX IX_AuditEvent_Actor;
DROP INDEX IX_DeviceBulkChange_CreatedBy;
DROP INDEX IX_DeviceIdentifierChangeHistory_Tenant;
DROP INDEX IX_DeviceIdentifierChangeHistory_Bulk;
DROP INDEX IX_DeviceIdentifierChangeHistory_Change;
DROP INDEX IX_M2MDeviceBulkChangeLog_BatchLevel;
DROP INDEX IX_M2M_DeviceChange_StatusDate;
DROP INDEX IX_M2M_DeviceChange_EID;
DROP INDEX IX_M2M_DeviceChange_MSISDN;
