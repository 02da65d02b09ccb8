-- The inventory from the carrier (issue 10): what a sync found, how lines are placed in tenants,
-- and the carrier-side facts a sync keeps. Twin of db/migrations/sqlite/00005_inventory_sync.sql.
--
-- A line the carrier lists is a ThingSpaceDevice row (the carrier's copy); it is in a tenant's
-- inventory when a live Device row shares its ICCID. A line no rule placed is a ThingSpaceDevice
-- with no Device: unassigned, seen by admins only. Lines the carrier stops listing get GoneDate
-- (never deleted); a line that comes back loses it.

-- +goose Up
ALTER TABLE ThingSpaceDevice ADD EID NVARCHAR(32) NULL;
ALTER TABLE ThingSpaceDevice ADD GroupNames NVARCHAR(1000) NULL;
ALTER TABLE ThingSpaceDevice ADD CustomFields NVARCHAR(2000) NULL;
ALTER TABLE ThingSpaceDevice ADD CarrierLastConnectionDate DATETIME2(3) NULL;
ALTER TABLE ThingSpaceDevice ADD CarrierCreatedDate DATETIME2(3) NULL;
ALTER TABLE ThingSpaceDevice ADD GoneDate DATETIME2(3) NULL;
ALTER TABLE Device ADD GoneDate DATETIME2(3) NULL;
CREATE INDEX IX_ThingSpaceDevice_MSISDN ON ThingSpaceDevice (ServiceProviderId, MSISDN);

-- ours: one run of the inventory sync of a provider, with what it found; updated after every
-- page so a page can follow it live.
CREATE TABLE InventorySyncRun (
    Id                INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    ServiceProviderId INT            NOT NULL REFERENCES ServiceProvider (Id),
    Status            NVARCHAR(20)   NOT NULL,
    RequestedBy       NVARCHAR(200)  NOT NULL,
    StartedDate       DATETIME2(3)   NOT NULL,
    FinishedDate      DATETIME2(3)   NULL,
    Listed            INT            NOT NULL DEFAULT 0,
    Added             INT            NOT NULL DEFAULT 0,
    Updated           INT            NOT NULL DEFAULT 0,
    ChangedOutside    INT            NOT NULL DEFAULT 0,
    Gone              INT            NOT NULL DEFAULT 0,
    Unassigned        INT            NOT NULL DEFAULT 0,
    Error             NVARCHAR(2000) NULL,
    CONSTRAINT CK_InventorySyncRun_Status CHECK (Status IN ('running', 'succeeded', 'failed'))
);
CREATE INDEX IX_InventorySyncRun_Provider ON InventorySyncRun (ServiceProviderId, StartedDate);

-- ours: which tenant a line of a provider goes to: by a ThingSpace device group, by a custom
-- field's value, or by default. Lower Priority wins; no rule, no tenant.
CREATE TABLE TenantAssignmentRule (
    Id                INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    ServiceProviderId INT            NOT NULL REFERENCES ServiceProvider (Id),
    RuleKind          NVARCHAR(20)   NOT NULL,
    FieldName         NVARCHAR(100)  NOT NULL DEFAULT '',
    FieldValue        NVARCHAR(200)  NOT NULL DEFAULT '',
    TenantId          INT            NOT NULL REFERENCES Tenant (Id),
    Priority          INT            NOT NULL DEFAULT 100,
    CreatedBy         NVARCHAR(200)  NOT NULL,
    CreatedDate       DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    IsDeleted         BIT            NOT NULL DEFAULT 0,
    CONSTRAINT CK_TenantAssignmentRule_Kind CHECK (RuleKind IN ('group', 'custom_field', 'default'))
);
CREATE UNIQUE INDEX UX_TenantAssignmentRule ON TenantAssignmentRule (ServiceProviderId, RuleKind, FieldName, FieldValue) WHERE IsDeleted = 0;

-- +goose Down
DROP TABLE TenantAssignmentRule;
DROP TABLE InventorySyncRun;
DROP INDEX IX_ThingSpaceDevice_MSISDN ON ThingSpaceDevice;
ALTER TABLE Device DROP COLUMN GoneDate;
ALTER TABLE ThingSpaceDevice DROP COLUMN GoneDate, CarrierCreatedDate, CarrierLastConnectionDate, CustomFields, GroupNames, EID;
