-- idswap schema for SQLite. Table and column names mirror the legacy Altaworx M2M schema
-- (see docs/DECISIONS.md); tables marked "ours" are idswap's own. Every table here has a twin in
-- db/migrations/sqlserver/00001_schema.sql with the same columns: a test compares the two.
-- All times are UTC, written by the application; the defaults are only a safety net.

-- +goose Up

CREATE TABLE Integration (
    Id          INTEGER  NOT NULL PRIMARY KEY,
    Name        TEXT     NOT NULL,
    CreatedBy   TEXT     NOT NULL DEFAULT 'system',
    CreatedDate DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    IsActive    INTEGER  NOT NULL DEFAULT 1,
    IsDeleted   INTEGER  NOT NULL DEFAULT 0
);

-- ours: a customer organisation; every device, batch and manager belongs to one.
CREATE TABLE Tenant (
    Id           INTEGER  NOT NULL PRIMARY KEY,
    Name         TEXT     NOT NULL,
    TimeZone     TEXT     NOT NULL DEFAULT 'UTC',
    CreatedBy    TEXT     NOT NULL,
    CreatedDate  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy   TEXT     NULL,
    ModifiedDate DATETIME NULL,
    IsActive     INTEGER  NOT NULL DEFAULT 1,
    IsDeleted    INTEGER  NOT NULL DEFAULT 0,
    CONSTRAINT UQ_Tenant_Name UNIQUE (Name)
);

-- ours: people who sign in. Admins have no tenant; managers have exactly one.
CREATE TABLE AppUser (
    Id                  INTEGER  NOT NULL PRIMARY KEY,
    TenantId            INTEGER  NULL REFERENCES Tenant (Id),
    Email               TEXT     NOT NULL,
    DisplayName         TEXT     NOT NULL,
    PasswordHash        TEXT     NOT NULL,
    Role                TEXT     NOT NULL,
    FailedLoginCount    INTEGER  NOT NULL DEFAULT 0,
    LastFailedLoginDate DATETIME NULL,
    LastLoginDate       DATETIME NULL,
    CreatedBy           TEXT     NOT NULL,
    CreatedDate         DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy          TEXT     NULL,
    ModifiedDate        DATETIME NULL,
    IsActive            INTEGER  NOT NULL DEFAULT 1,
    IsDeleted           INTEGER  NOT NULL DEFAULT 0,
    CONSTRAINT UQ_AppUser_Email UNIQUE (Email),
    CONSTRAINT CK_AppUser_Role CHECK (Role IN ('admin', 'manager')),
    CONSTRAINT CK_AppUser_Tenant CHECK ((Role = 'admin' AND TenantId IS NULL) OR (Role = 'manager' AND TenantId IS NOT NULL))
);

-- ours: API bearer tokens; only the SHA-256 of the token is kept.
CREATE TABLE ApiToken (
    Id           INTEGER  NOT NULL PRIMARY KEY,
    AppUserId    INTEGER  NOT NULL REFERENCES AppUser (Id),
    Name         TEXT     NOT NULL,
    TokenHash    TEXT     NOT NULL,
    TokenPrefix  TEXT     NOT NULL,
    CreatedBy    TEXT     NOT NULL,
    CreatedDate  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    LastUsedDate DATETIME NULL,
    ExpiresDate  DATETIME NULL,
    IsActive     INTEGER  NOT NULL DEFAULT 1,
    CONSTRAINT UQ_ApiToken_TokenHash UNIQUE (TokenHash)
);

-- The carrier account. NotificationEmail and FromEmail serve the completion e-mail.
CREATE TABLE ServiceProvider (
    Id                             INTEGER  NOT NULL PRIMARY KEY,
    Name                           TEXT     NOT NULL,
    DisplayName                    TEXT     NOT NULL,
    IntegrationId                  INTEGER  NOT NULL REFERENCES Integration (Id),
    NotificationEmail              TEXT     NULL,
    FromEmail                      TEXT     NULL,
    RegisterCarrierServiceCallBack INTEGER  NOT NULL DEFAULT 1,
    BillPeriodEndDay               INTEGER  NOT NULL DEFAULT 23,
    BillPeriodEndHour              INTEGER  NOT NULL DEFAULT 0,
    CreatedBy                      TEXT     NOT NULL,
    CreatedDate                    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy                     TEXT     NULL,
    ModifiedDate                   DATETIME NULL,
    IsActive                       INTEGER  NOT NULL DEFAULT 1,
    IsDeleted                      INTEGER  NOT NULL DEFAULT 0
);

-- Per-provider ThingSpace credentials, read only through usp_ThingSpace_Get_AuthenticationByProviderId.
-- ClientSecret, Password and CallbackSecret hold AES-GCM ciphertext (never Base64 "encoding").
CREATE TABLE ThingSpaceAuthentication (
    Id                 INTEGER  NOT NULL PRIMARY KEY,
    ServiceProviderId  INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    BaseUrl            TEXT     NOT NULL,
    ClientId           TEXT     NOT NULL,
    ClientSecret       TEXT     NOT NULL,
    AuthTokenUrl       TEXT     NOT NULL,
    AuthUrl            TEXT     NOT NULL,
    Username           TEXT     NOT NULL,
    Password           TEXT     NOT NULL,
    AccountNumber      TEXT     NOT NULL DEFAULT '',
    WriteIsEnabled     INTEGER  NOT NULL DEFAULT 0,
    ServiceType        TEXT     NOT NULL DEFAULT '',
    CallbackSecret     TEXT     NULL,
    CallbackSecretHash TEXT     NULL,
    CreatedBy          TEXT     NOT NULL,
    CreatedDate        DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy         TEXT     NULL,
    ModifiedDate       DATETIME NULL,
    IsActive           INTEGER  NOT NULL DEFAULT 1,
    IsDeleted          INTEGER  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX UX_ThingSpaceAuthentication_Provider ON ThingSpaceAuthentication (ServiceProviderId) WHERE IsDeleted = 0;
CREATE UNIQUE INDEX UX_ThingSpaceAuthentication_CallbackSecretHash ON ThingSpaceAuthentication (CallbackSecretHash) WHERE CallbackSecretHash IS NOT NULL;

CREATE TABLE DeviceStatus (
    Id              INTEGER NOT NULL PRIMARY KEY,
    Status          TEXT    NOT NULL,
    DisplayName     TEXT    NOT NULL,
    IntegrationId   INTEGER NOT NULL REFERENCES Integration (Id),
    AllowsApiUpdate INTEGER NOT NULL DEFAULT 0,
    IsActiveStatus  INTEGER NOT NULL DEFAULT 0,
    IsActive        INTEGER NOT NULL DEFAULT 1,
    IsDeleted       INTEGER NOT NULL DEFAULT 0
);

-- The carrier's plan catalogue (legacy name in code: JasperCarrierRatePlan). BaseRate is the monthly price.
CREATE TABLE ThingSpaceCarrierRatePlan (
    Id                     INTEGER  NOT NULL PRIMARY KEY,
    ServiceProviderId      INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    RatePlanCode           TEXT     NOT NULL,
    RatePlanName           TEXT     NOT NULL,
    RatePlanShortName      TEXT     NOT NULL,
    CarrierServicePlanCode TEXT     NOT NULL DEFAULT '',
    PlanMB                 NUMERIC  NOT NULL DEFAULT 0,
    BaseRate               NUMERIC  NOT NULL DEFAULT 0,
    OverageRateCost        NUMERIC  NOT NULL DEFAULT 0,
    PlanUuid               TEXT     NULL,
    CreatedBy              TEXT     NOT NULL,
    CreatedDate            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy             TEXT     NULL,
    ModifiedDate           DATETIME NULL,
    IsActive               INTEGER  NOT NULL DEFAULT 1,
    IsDeleted              INTEGER  NOT NULL DEFAULT 0,
    CONSTRAINT UQ_ThingSpaceCarrierRatePlan_Code UNIQUE (ServiceProviderId, RatePlanCode)
);

-- ours: which network types (LTE Cat-1, LTE-M, NB-IoT, 5G) a carrier plan serves.
CREATE TABLE CarrierRatePlanNetworkType (
    CarrierRatePlanId INTEGER NOT NULL REFERENCES ThingSpaceCarrierRatePlan (Id),
    NetworkType       TEXT    NOT NULL,
    CONSTRAINT PK_CarrierRatePlanNetworkType PRIMARY KEY (CarrierRatePlanId, NetworkType)
);

CREATE TABLE CustomerRatePlan (
    Id                INTEGER  NOT NULL PRIMARY KEY,
    TenantId          INTEGER  NOT NULL REFERENCES Tenant (Id),
    ServiceProviderId INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    PlanName          TEXT     NOT NULL,
    Description       TEXT     NOT NULL DEFAULT '',
    MonthlyRate       NUMERIC  NOT NULL DEFAULT 0,
    DataAllocationMB  NUMERIC  NOT NULL DEFAULT 0,
    CreatedBy         TEXT     NOT NULL,
    CreatedDate       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy        TEXT     NULL,
    ModifiedDate      DATETIME NULL,
    IsActive          INTEGER  NOT NULL DEFAULT 1,
    IsDeleted         INTEGER  NOT NULL DEFAULT 0
);

-- IMEI ranges (whole TACs) to make, model and network type.
CREATE TABLE IMEI_DeviceType_CarrierRatePlan (
    Id                  INTEGER  NOT NULL PRIMARY KEY,
    Manufacturer        TEXT     NOT NULL,
    Model               TEXT     NOT NULL,
    FromIMEI            TEXT     NOT NULL,
    ToIMEI              TEXT     NOT NULL,
    DeviceType          TEXT     NOT NULL DEFAULT '',
    SIMType             TEXT     NOT NULL DEFAULT '',
    DeviceCommonName    TEXT     NOT NULL DEFAULT '',
    DeviceMarketingName TEXT     NOT NULL DEFAULT '',
    NetworkType         TEXT     NOT NULL,
    RANType             TEXT     NOT NULL DEFAULT '',
    VoLTECapable        INTEGER  NOT NULL DEFAULT 0,
    ServiceProviderId   INTEGER  NULL REFERENCES ServiceProvider (Id),
    CreatedBy           TEXT     NOT NULL,
    CreatedDate         DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy          TEXT     NULL,
    ModifiedDate        DATETIME NULL,
    IsActive            INTEGER  NOT NULL DEFAULT 1
);
CREATE INDEX IX_IMEI_DeviceType_CarrierRatePlan_Range ON IMEI_DeviceType_CarrierRatePlan (FromIMEI, ToIMEI);

-- The inventory. One live (IsDeleted = 0) device per ICCID and per IMEI.
CREATE TABLE Device (
    Id                 INTEGER  NOT NULL PRIMARY KEY,
    ServiceProviderId  INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    TenantId           INTEGER  NOT NULL REFERENCES Tenant (Id),
    ICCID              TEXT     NULL,
    IMEI               TEXT     NULL,
    MSISDN             TEXT     NULL,
    EID                TEXT     NULL,
    IMSI               TEXT     NULL,
    DeviceStatusId     INTEGER  NOT NULL REFERENCES DeviceStatus (Id),
    Status             TEXT     NOT NULL DEFAULT '',
    CarrierRatePlanId  INTEGER  NULL REFERENCES ThingSpaceCarrierRatePlan (Id),
    RatePlan           TEXT     NULL,
    CustomerRatePlanId INTEGER  NULL REFERENCES CustomerRatePlan (Id),
    DeviceDescription  TEXT     NOT NULL DEFAULT '',
    Username           TEXT     NOT NULL DEFAULT '',
    IpAddress          TEXT     NULL,
    ProviderDateAdded  DATETIME NULL,
    LastUsageDate      DATETIME NULL,
    CreatedBy          TEXT     NOT NULL,
    CreatedDate        DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy         TEXT     NULL,
    ModifiedDate       DATETIME NULL,
    IsActive           INTEGER  NOT NULL DEFAULT 1,
    IsDeleted          INTEGER  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX UX_Device_ICCID ON Device (ICCID) WHERE IsDeleted = 0 AND ICCID IS NOT NULL;
CREATE UNIQUE INDEX UX_Device_IMEI ON Device (IMEI) WHERE IsDeleted = 0 AND IMEI IS NOT NULL;
CREATE INDEX IX_Device_MSISDN ON Device (MSISDN);
CREATE INDEX IX_Device_EID ON Device (EID);
CREATE INDEX IX_Device_Tenant ON Device (TenantId, ServiceProviderId, Id);

-- The carrier-side copy of a device, as the legacy sync keeps it.
CREATE TABLE ThingSpaceDevice (
    Id                INTEGER  NOT NULL PRIMARY KEY,
    ServiceProviderId INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    ICCID             TEXT     NULL,
    IMEI              TEXT     NULL,
    MSISDN            TEXT     NULL,
    Status            TEXT     NOT NULL DEFAULT '',
    RatePlan          TEXT     NULL,
    DeviceStatusId    INTEGER  NOT NULL REFERENCES DeviceStatus (Id),
    AccountNumber     TEXT     NOT NULL DEFAULT '',
    CreatedBy         TEXT     NOT NULL,
    CreatedDate       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy        TEXT     NULL,
    ModifiedDate      DATETIME NULL,
    IsActive          INTEGER  NOT NULL DEFAULT 1,
    IsDeleted         INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX IX_ThingSpaceDevice_ICCID ON ThingSpaceDevice (ServiceProviderId, ICCID);
CREATE INDEX IX_ThingSpaceDevice_IMEI ON ThingSpaceDevice (ServiceProviderId, IMEI);

-- The three identifier changes idswap runs; the name is the ThingSpace change4gOption.
CREATE TABLE DeviceChangeRequestType (
    Id            INTEGER NOT NULL PRIMARY KEY,
    Name          TEXT    NOT NULL,
    DisplayName   TEXT    NOT NULL,
    IntegrationId INTEGER NOT NULL REFERENCES Integration (Id),
    IsActive      INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT UQ_DeviceChangeRequestType_Name UNIQUE (Name)
);

-- One row per request. IdempotencyKey makes a second submit of the same form a no-op.
CREATE TABLE DeviceBulkChange (
    Id                  INTEGER  NOT NULL PRIMARY KEY,
    TenantId            INTEGER  NOT NULL REFERENCES Tenant (Id),
    SiteId              INTEGER  NULL,
    ChangeRequestTypeId INTEGER  NOT NULL REFERENCES DeviceChangeRequestType (Id),
    ServiceProviderId   INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    Status              TEXT     NOT NULL,
    StatusDetails       TEXT     NULL,
    Reason              TEXT     NOT NULL,
    RequestedByUserId   INTEGER  NULL REFERENCES AppUser (Id),
    IdempotencyKey      TEXT     NULL,
    CreatedBy           TEXT     NOT NULL,
    CreatedDate         DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ProcessedBy         TEXT     NULL,
    ProcessedDate       DATETIME NULL,
    ModifiedBy          TEXT     NULL,
    ModifiedDate        DATETIME NULL,
    IsActive            INTEGER  NOT NULL DEFAULT 1,
    IsDeleted           INTEGER  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX UX_DeviceBulkChange_IdempotencyKey ON DeviceBulkChange (IdempotencyKey) WHERE IdempotencyKey IS NOT NULL;
CREATE INDEX IX_DeviceBulkChange_Tenant ON DeviceBulkChange (TenantId, CreatedDate);
CREATE INDEX IX_DeviceBulkChange_Status ON DeviceBulkChange (Status, CreatedDate);
CREATE INDEX IX_DeviceBulkChange_CreatedDate ON DeviceBulkChange (CreatedDate);

-- One row per device in a request. ICCID/IMEI/MSISDN/EID are the device's identifiers when the
-- row was created; NewICCID/NewIMEI what it changes to (also inside ChangeRequest JSON, but kept
-- as columns so "is this identifier in an open change" is an index seek).
CREATE TABLE M2M_DeviceChange (
    Id            INTEGER  NOT NULL PRIMARY KEY,
    BulkChangeId  INTEGER  NOT NULL REFERENCES DeviceBulkChange (Id),
    DeviceId      INTEGER  NULL REFERENCES Device (Id),
    ICCID         TEXT     NULL,
    IMEI          TEXT     NULL,
    MSISDN        TEXT     NULL,
    EID           TEXT     NULL,
    IpAddress     TEXT     NULL,
    NewICCID      TEXT     NULL,
    NewIMEI       TEXT     NULL,
    ServicePlan   TEXT     NULL,
    Status        TEXT     NOT NULL,
    StatusDetails TEXT     NULL,
    HasErrors     INTEGER  NOT NULL DEFAULT 0,
    IsProcessed   INTEGER  NOT NULL DEFAULT 0,
    ChangeRequest TEXT     NOT NULL,
    RequestId     TEXT     NULL,
    SubmittedDate DATETIME NULL,
    ProcessedBy   TEXT     NULL,
    ProcessedDate DATETIME NULL,
    CreatedBy     TEXT     NOT NULL,
    CreatedDate   DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedBy    TEXT     NULL,
    ModifiedDate  DATETIME NULL,
    IsActive      INTEGER  NOT NULL DEFAULT 1,
    IsDeleted     INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX IX_M2M_DeviceChange_Bulk ON M2M_DeviceChange (BulkChangeId, Status);
CREATE INDEX IX_M2M_DeviceChange_Device ON M2M_DeviceChange (DeviceId, Status);
CREATE INDEX IX_M2M_DeviceChange_RequestId ON M2M_DeviceChange (RequestId) WHERE RequestId IS NOT NULL;
CREATE INDEX IX_M2M_DeviceChange_NewICCID ON M2M_DeviceChange (NewICCID, Status) WHERE NewICCID IS NOT NULL;
CREATE INDEX IX_M2M_DeviceChange_NewIMEI ON M2M_DeviceChange (NewIMEI, Status) WHERE NewIMEI IS NOT NULL;
CREATE INDEX IX_M2M_DeviceChange_ICCID ON M2M_DeviceChange (ICCID);
CREATE INDEX IX_M2M_DeviceChange_IMEI ON M2M_DeviceChange (IMEI);

-- Every step of every row: carrier requests and responses, database steps, failures.
CREATE TABLE M2MDeviceBulkChangeLog (
    Id                  INTEGER  NOT NULL PRIMARY KEY,
    BulkChangeId        INTEGER  NOT NULL REFERENCES DeviceBulkChange (Id),
    M2MDeviceChangeId   INTEGER  NULL REFERENCES M2M_DeviceChange (Id),
    LogEntryDescription TEXT     NOT NULL,
    RequestText         TEXT     NULL,
    ResponseText        TEXT     NULL,
    ResponseStatus      TEXT     NOT NULL,
    HasErrors           INTEGER  NOT NULL DEFAULT 0,
    ErrorText           TEXT     NULL,
    ErrorCode           TEXT     NULL,
    ProcessedBy         TEXT     NOT NULL,
    ProcessedDate       DATETIME NOT NULL
);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Bulk ON M2MDeviceBulkChangeLog (BulkChangeId, ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Change ON M2MDeviceBulkChangeLog (M2MDeviceChangeId, ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Date ON M2MDeviceBulkChangeLog (ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Entry ON M2MDeviceBulkChangeLog (LogEntryDescription, ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_ErrorCode ON M2MDeviceBulkChangeLog (ErrorCode) WHERE ErrorCode IS NOT NULL;

-- Every CarrierService callback as received, before anything is decided from it.
CREATE TABLE ThingSpaceCallBackResponseLog (
    Id                INTEGER  NOT NULL PRIMARY KEY,
    RequestId         TEXT     NULL,
    APIStatus         TEXT     NULL,
    APIResponse       TEXT     NOT NULL,
    TenantId          INTEGER  NULL,
    ServiceProviderId INTEGER  NULL,
    BulkChangeId      INTEGER  NULL,
    M2MDeviceChangeId INTEGER  NULL,
    ICCID             TEXT     NULL,
    CallbackCount     INTEGER  NULL,
    CallbackDate      DATETIME NOT NULL,
    ProcessedDate     DATETIME NULL,
    CreatedDate       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX IX_ThingSpaceCallBackResponseLog_RequestId ON ThingSpaceCallBackResponseLog (RequestId);
CREATE INDEX IX_ThingSpaceCallBackResponseLog_Date ON ThingSpaceCallBackResponseLog (CallbackDate);

-- Old → new identifiers of a device, so any identifier it ever had finds it.
CREATE TABLE DeviceIdentifierChangeHistory (
    Id                INTEGER  NOT NULL PRIMARY KEY,
    DeviceId          INTEGER  NOT NULL REFERENCES Device (Id),
    TenantId          INTEGER  NOT NULL REFERENCES Tenant (Id),
    ServiceProviderId INTEGER  NOT NULL REFERENCES ServiceProvider (Id),
    OldICCID          TEXT     NULL,
    NewICCID          TEXT     NULL,
    OldIMEI           TEXT     NULL,
    NewIMEI           TEXT     NULL,
    ChangeReason      TEXT     NOT NULL DEFAULT '',
    ChangedBy         TEXT     NOT NULL,
    ChangeDate        DATETIME NOT NULL,
    BulkChangeId      INTEGER  NULL REFERENCES DeviceBulkChange (Id),
    M2MDeviceChangeId INTEGER  NULL REFERENCES M2M_DeviceChange (Id)
);
CREATE INDEX IX_DeviceIdentifierChangeHistory_Device ON DeviceIdentifierChangeHistory (DeviceId, ChangeDate);
CREATE INDEX IX_DeviceIdentifierChangeHistory_OldICCID ON DeviceIdentifierChangeHistory (OldICCID);
CREATE INDEX IX_DeviceIdentifierChangeHistory_NewICCID ON DeviceIdentifierChangeHistory (NewICCID);
CREATE INDEX IX_DeviceIdentifierChangeHistory_OldIMEI ON DeviceIdentifierChangeHistory (OldIMEI);
CREATE INDEX IX_DeviceIdentifierChangeHistory_NewIMEI ON DeviceIdentifierChangeHistory (NewIMEI);
CREATE INDEX IX_DeviceIdentifierChangeHistory_Date ON DeviceIdentifierChangeHistory (ChangeDate);

-- ours: the durable job queue.
CREATE TABLE Job (
    Id            INTEGER  NOT NULL PRIMARY KEY,
    Kind          TEXT     NOT NULL,
    Payload       TEXT     NOT NULL,
    Status        TEXT     NOT NULL,
    Attempts      INTEGER  NOT NULL DEFAULT 0,
    MaxAttempts   INTEGER  NOT NULL,
    RunAt         DATETIME NOT NULL,
    LockedBy      TEXT     NULL,
    LockedUntil   DATETIME NULL,
    LastError     TEXT     NULL,
    CreatedDate   DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ModifiedDate  DATETIME NULL,
    CompletedDate DATETIME NULL
);
CREATE INDEX IX_Job_Ready ON Job (Status, RunAt);

-- ours: result e-mails, written in the transaction that completes a batch and sent by a job.
CREATE TABLE EmailOutbox (
    Id           INTEGER  NOT NULL PRIMARY KEY,
    BulkChangeId INTEGER  NULL REFERENCES DeviceBulkChange (Id),
    ToAddresses  TEXT     NOT NULL,
    FromAddress  TEXT     NOT NULL,
    Subject      TEXT     NOT NULL,
    Status       TEXT     NOT NULL,
    Attempts     INTEGER  NOT NULL DEFAULT 0,
    LastError    TEXT     NULL,
    MessageId    TEXT     NULL,
    CreatedDate  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    SentDate     DATETIME NULL
);
CREATE INDEX IX_EmailOutbox_Bulk ON EmailOutbox (BulkChangeId);

-- ours: who did what, from where.
CREATE TABLE AuditEvent (
    Id          INTEGER  NOT NULL PRIMARY KEY,
    TenantId    INTEGER  NULL,
    AppUserId   INTEGER  NULL,
    Actor       TEXT     NOT NULL,
    Action      TEXT     NOT NULL,
    EntityType  TEXT     NOT NULL DEFAULT '',
    EntityId    TEXT     NOT NULL DEFAULT '',
    Details     TEXT     NULL,
    RemoteAddr  TEXT     NOT NULL DEFAULT '',
    CreatedDate DATETIME NOT NULL
);
CREATE INDEX IX_AuditEvent_Date ON AuditEvent (CreatedDate);
CREATE INDEX IX_AuditEvent_Tenant ON AuditEvent (TenantId, CreatedDate);
CREATE INDEX IX_AuditEvent_Entity ON AuditEvent (EntityType, EntityId);

-- Lookup rows every install needs.
INSERT INTO Integration (Id, Name) VALUES (2, 'ThingSpace');
INSERT INTO DeviceStatus (Id, Status, DisplayName, IntegrationId, AllowsApiUpdate, IsActiveStatus) VALUES
    (8,  'active',             'Active',             2, 1, 1),
    (9,  'suspend',            'Suspended',          2, 1, 0),
    (10, 'deactive',           'Deactivated',        2, 1, 0),
    (11, 'pre-active',         'Pre-active',         2, 1, 0),
    (15, 'pending activation', 'Pending Activation', 2, 0, 0);
INSERT INTO DeviceChangeRequestType (Id, Name, DisplayName, IntegrationId) VALUES
    (1, 'ChangeICCID',        'New SIM, same device (ICCID)',        2),
    (2, 'ChangeIMEI',         'Same SIM, new device (IMEI)',         2),
    (3, 'ChangeIMEIandICCID', 'New SIM and new device (ICCID + IMEI)', 2);

-- SQLite has no stored procedures: internal/store runs the same statements as
-- usp_ThingSpace_Get_AuthenticationByProviderId and usp_UpdateIdentifierForThingSpace
-- (see internal/store/dialect.go).

-- +goose Down
DROP TABLE AuditEvent;
DROP TABLE EmailOutbox;
DROP TABLE Job;
DROP TABLE DeviceIdentifierChangeHistory;
DROP TABLE ThingSpaceCallBackResponseLog;
DROP TABLE M2MDeviceBulkChangeLog;
DROP TABLE M2M_DeviceChange;
DROP TABLE DeviceBulkChange;
DROP TABLE DeviceChangeRequestType;
DROP TABLE ThingSpaceDevice;
DROP TABLE Device;
DROP TABLE IMEI_DeviceType_CarrierRatePlan;
DROP TABLE CustomerRatePlan;
DROP TABLE CarrierRatePlanNetworkType;
DROP TABLE ThingSpaceCarrierRatePlan;
DROP TABLE DeviceStatus;
DROP TABLE ThingSpaceAuthentication;
DROP TABLE ServiceProvider;
DROP TABLE ApiToken;
DROP TABLE AppUser;
DROP TABLE Tenant;
DROP TABLE Integration;
