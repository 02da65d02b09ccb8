-- The inventory from the carrier (issue 10): what a sync found, how lines are placed in tenants,
-- and the carrier-side facts a sync keeps. Twin of db/migrations/sqlserver/00005_inventory_sync.sql.
--
-- A line the carrier lists is a ThingSpaceDevice row (the carrier's copy); it is in a tenant's
-- inventory when a live Device row shares its ICCID. A line no rule placed is a ThingSpaceDevice
-- with no Device: unassigned, seen by admins only. Lines the carrier stops listing get GoneDate
-- (never deleted); a line that comes back loses it.

-- +goose Up
ALTER TABLE ThingSpaceDevice ADD COLUMN EID TEXT NULL;
ALTER TABLE ThingSpaceDevice ADD COLUMN GroupNames TEXT NULL;
ALTER TABLE ThingSpaceDevice ADD COLUMN CustomFields TEXT NULL;
ALTER TABLE ThingSpaceDevice ADD COLUMN CarrierLastConnectionDate DATETIME NULL;
ALTER TABLE ThingSpaceDevice ADD COLUMN CarrierCreatedDate DATETIME NULL;
ALTER TABLE ThingSpaceDevice ADD COLUMN GoneDate DATETIME NULL;
ALTER TABLE Device ADD COLUMN GoneDate DATETIME NULL;
CREATE INDEX IX_ThingSpaceDevice_MSISDN ON ThingSpaceDevice (ServiceProviderId, MSISDN);

-- ours: one run of the inventory sync of a provider, with what it found; updated after every
-- page so a page can follow it live.
CREATE TABLE InventorySyncRun (
    Id                INTEGER  NOT NULL PRIMARY KEY,
    ServiceProviderId INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    Status            TEXT     NOT NULL,
    RequestedBy       TEXT     NOT NULL,
    StartedDate       DATETIME NOT NULL,
    FinishedDate      DATETIME NULL,
    Listed            INTEGER  NOT NULL DEFAULT 0,
    Added             INTEGER  NOT NULL DEFAULT 0,
    Updated           INTEGER  NOT NULL DEFAULT 0,
    ChangedOutside    INTEGER  NOT NULL DEFAULT 0,
    Gone              INTEGER  NOT NULL DEFAULT 0,
    Unassigned        INTEGER  NOT NULL DEFAULT 0,
    Error             TEXT     NULL,
    CONSTRAINT CK_InventorySyncRun_Status CHECK (Status IN ('running', 'succeeded', 'failed'))
);
CREATE INDEX IX_InventorySyncRun_Provider ON InventorySyncRun (ServiceProviderId, StartedDate);

-- ours: which tenant a line of a provider goes to: by a ThingSpace device group, by a custom
-- field's value, or by default. Lower Priority wins; no rule, no tenant.
CREATE TABLE TenantAssignmentRule (
    Id                INTEGER  NOT NULL PRIMARY KEY,
    ServiceProviderId INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    RuleKind          TEXT     NOT NULL,
    FieldName         TEXT     NOT NULL DEFAULT '',
    FieldValue        TEXT     NOT NULL DEFAULT '',
    TenantId          INTEGER  NOT NULL REFERENCES Tenant (Id),
    Priority          INTEGER  NOT NULL DEFAULT 100,
    CreatedBy         TEXT     NOT NULL,
    CreatedDate       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    IsDeleted         INTEGER  NOT NULL DEFAULT 0,
    CONSTRAINT CK_TenantAssignmentRule_Kind CHECK (RuleKind IN ('group', 'custom_field', 'default'))
);
CREATE UNIQUE INDEX UX_TenantAssignmentRule ON TenantAssignmentRule (ServiceProviderId, RuleKind, FieldName, FieldValue) WHERE IsDeleted = 0;

-- +goose Down
DROP TABLE TenantAssignmentRule;
DROP TABLE InventorySyncRun;
DROP INDEX IX_ThingSpaceDevice_MSISDN;
ALTER TABLE Device DROP COLUMN GoneDate;
ALTER TABLE ThingSpaceDevice DROP COLUMN GoneDate;
ALTER TABLE ThingSpaceDevice DROP COLUMN CarrierCreatedDate;
ALTER TABLE ThingSpaceDevice DROP COLUMN CarrierLastConnectionDate;
ALTER TABLE ThingSpaceDevice DROP COLUMN CustomFields;
ALTER TABLE ThingSpaceDevice DROP COLUMN GroupNames;
ALTER TABLE ThingSpaceDevice DROP COLUMN EID;
