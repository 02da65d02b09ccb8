-- idswap schema for SQL Server. Table and column names mirror the legacy Altaworx M2M schema
-- (see docs/DECISIONS.md); tables marked "ours" are idswap's own. Every table here has a twin in
-- db/migrations/sqlite/00001_schema.sql with the same columns: a test compares the two.
-- All times are UTC, written by the application; the defaults are only a safety net.

-- +goose Up

CREATE TABLE Integration (
    Id          INT            NOT NULL PRIMARY KEY,
    Name        NVARCHAR(50)   NOT NULL,
    CreatedBy   NVARCHAR(200)  NOT NULL DEFAULT 'system',
    CreatedDate DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    IsActive    BIT            NOT NULL DEFAULT 1,
    IsDeleted   BIT            NOT NULL DEFAULT 0
);

-- ours: a customer organisation; every device, batch and manager belongs to one.
CREATE TABLE Tenant (
    Id           INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    Name         NVARCHAR(200)  NOT NULL,
    TimeZone     NVARCHAR(64)   NOT NULL DEFAULT 'UTC',
    CreatedBy    NVARCHAR(200)  NOT NULL,
    CreatedDate  DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy   NVARCHAR(200)  NULL,
    ModifiedDate DATETIME2(3)   NULL,
    IsActive     BIT            NOT NULL DEFAULT 1,
    IsDeleted    BIT            NOT NULL DEFAULT 0,
    CONSTRAINT UQ_Tenant_Name UNIQUE (Name)
);

-- ours: people who sign in. Admins have no tenant; managers have exactly one.
CREATE TABLE AppUser (
    Id                  INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    TenantId            INT            NULL REFERENCES Tenant (Id),
    Email               NVARCHAR(320)  NOT NULL,
    DisplayName         NVARCHAR(200)  NOT NULL,
    PasswordHash        NVARCHAR(100)  NOT NULL,
    Role                NVARCHAR(20)   NOT NULL,
    FailedLoginCount    INT            NOT NULL DEFAULT 0,
    LastFailedLoginDate DATETIME2(3)   NULL,
    LastLoginDate       DATETIME2(3)   NULL,
    CreatedBy           NVARCHAR(200)  NOT NULL,
    CreatedDate         DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy          NVARCHAR(200)  NULL,
    ModifiedDate        DATETIME2(3)   NULL,
    IsActive            BIT            NOT NULL DEFAULT 1,
    IsDeleted           BIT            NOT NULL DEFAULT 0,
    CONSTRAINT UQ_AppUser_Email UNIQUE (Email),
    CONSTRAINT CK_AppUser_Role CHECK (Role IN ('admin', 'manager')),
    CONSTRAINT CK_AppUser_Tenant CHECK ((Role = 'admin' AND TenantId IS NULL) OR (Role = 'manager' AND TenantId IS NOT NULL))
);

-- ours: API bearer tokens; only the SHA-256 of the token is kept.
CREATE TABLE ApiToken (
    Id           INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    AppUserId    INT            NOT NULL REFERENCES AppUser (Id),
    Name         NVARCHAR(100)  NOT NULL,
    TokenHash    CHAR(64)       NOT NULL,
    TokenPrefix  NVARCHAR(16)   NOT NULL,
    CreatedBy    NVARCHAR(200)  NOT NULL,
    CreatedDate  DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    LastUsedDate DATETIME2(3)   NULL,
    ExpiresDate  DATETIME2(3)   NULL,
    IsActive     BIT            NOT NULL DEFAULT 1,
    CONSTRAINT UQ_ApiToken_TokenHash UNIQUE (TokenHash)
);

-- The carrier account. NotificationEmail and FromEmail serve the completion e-mail.
CREATE TABLE ServiceProvider (
    Id                             INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    Name                           NVARCHAR(100)  NOT NULL,
    DisplayName                    NVARCHAR(200)  NOT NULL,
    IntegrationId                  INT            NOT NULL REFERENCES Integration (Id),
    NotificationEmail              NVARCHAR(320)  NULL,
    FromEmail                      NVARCHAR(320)  NULL,
    RegisterCarrierServiceCallBack BIT            NOT NULL DEFAULT 1,
    BillPeriodEndDay               INT            NOT NULL DEFAULT 23,
    BillPeriodEndHour              INT            NOT NULL DEFAULT 0,
    CreatedBy                      NVARCHAR(200)  NOT NULL,
    CreatedDate                    DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy                     NVARCHAR(200)  NULL,
    ModifiedDate                   DATETIME2(3)   NULL,
    IsActive                       BIT            NOT NULL DEFAULT 1,
    IsDeleted                      BIT            NOT NULL DEFAULT 0
);

-- Per-provider ThingSpace credentials, read only through usp_ThingSpace_Get_AuthenticationByProviderId.
-- ClientSecret, Password and CallbackSecret hold AES-GCM ciphertext (never Base64 "encoding").
CREATE TABLE ThingSpaceAuthentication (
    Id                 INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    ServiceProviderId  INT             NOT NULL REFERENCES ServiceProvider (Id),
    BaseUrl            NVARCHAR(500)   NOT NULL,
    ClientId           NVARCHAR(200)   NOT NULL,
    ClientSecret       NVARCHAR(1000)  NOT NULL,
    AuthTokenUrl       NVARCHAR(500)   NOT NULL,
    AuthUrl            NVARCHAR(500)   NOT NULL,
    Username           NVARCHAR(200)   NOT NULL,
    Password           NVARCHAR(1000)  NOT NULL,
    AccountNumber      NVARCHAR(50)    NOT NULL DEFAULT '',
    WriteIsEnabled     BIT             NOT NULL DEFAULT 0,
    ServiceType        NVARCHAR(50)    NOT NULL DEFAULT '',
    CallbackSecret     NVARCHAR(1000)  NULL,
    CallbackSecretHash CHAR(64)        NULL,
    CreatedBy          NVARCHAR(200)   NOT NULL,
    CreatedDate        DATETIME2(3)    NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy         NVARCHAR(200)   NULL,
    ModifiedDate       DATETIME2(3)    NULL,
    IsActive           BIT             NOT NULL DEFAULT 1,
    IsDeleted          BIT             NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX UX_ThingSpaceAuthentication_Provider ON ThingSpaceAuthentication (ServiceProviderId) WHERE IsDeleted = 0;
CREATE UNIQUE INDEX UX_ThingSpaceAuthentication_CallbackSecretHash ON ThingSpaceAuthentication (CallbackSecretHash) WHERE CallbackSecretHash IS NOT NULL;

CREATE TABLE DeviceStatus (
    Id              INT            NOT NULL PRIMARY KEY,
    Status          NVARCHAR(50)   NOT NULL,
    DisplayName     NVARCHAR(100)  NOT NULL,
    IntegrationId   INT            NOT NULL REFERENCES Integration (Id),
    AllowsApiUpdate BIT            NOT NULL DEFAULT 0,
    IsActiveStatus  BIT            NOT NULL DEFAULT 0,
    IsActive        BIT            NOT NULL DEFAULT 1,
    IsDeleted       BIT            NOT NULL DEFAULT 0
);

-- The carrier's plan catalogue (legacy name in code: JasperCarrierRatePlan). BaseRate is the monthly price.
CREATE TABLE ThingSpaceCarrierRatePlan (
    Id                     INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    ServiceProviderId      INT             NOT NULL REFERENCES ServiceProvider (Id),
    RatePlanCode           NVARCHAR(100)   NOT NULL,
    RatePlanName           NVARCHAR(200)   NOT NULL,
    RatePlanShortName      NVARCHAR(100)   NOT NULL,
    CarrierServicePlanCode NVARCHAR(50)    NOT NULL DEFAULT '',
    PlanMB                 DECIMAL(18, 2)  NOT NULL DEFAULT 0,
    BaseRate               DECIMAL(10, 2)  NOT NULL DEFAULT 0,
    OverageRateCost        DECIMAL(10, 4)  NOT NULL DEFAULT 0,
    PlanUuid               NVARCHAR(64)    NULL,
    CreatedBy              NVARCHAR(200)   NOT NULL,
    CreatedDate            DATETIME2(3)    NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy             NVARCHAR(200)   NULL,
    ModifiedDate           DATETIME2(3)    NULL,
    IsActive               BIT             NOT NULL DEFAULT 1,
    IsDeleted              BIT             NOT NULL DEFAULT 0,
    CONSTRAINT UQ_ThingSpaceCarrierRatePlan_Code UNIQUE (ServiceProviderId, RatePlanCode)
);

-- ours: which network types (LTE Cat-1, LTE-M, NB-IoT, 5G) a carrier plan serves.
CREATE TABLE CarrierRatePlanNetworkType (
    CarrierRatePlanId INT          NOT NULL REFERENCES ThingSpaceCarrierRatePlan (Id),
    NetworkType       NVARCHAR(30) NOT NULL,
    CONSTRAINT PK_CarrierRatePlanNetworkType PRIMARY KEY (CarrierRatePlanId, NetworkType)
);

CREATE TABLE CustomerRatePlan (
    Id                INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    TenantId          INT             NOT NULL REFERENCES Tenant (Id),
    ServiceProviderId INT             NOT NULL REFERENCES ServiceProvider (Id),
    PlanName          NVARCHAR(200)   NOT NULL,
    Description       NVARCHAR(500)   NOT NULL DEFAULT '',
    MonthlyRate       DECIMAL(10, 2)  NOT NULL DEFAULT 0,
    DataAllocationMB  DECIMAL(18, 2)  NOT NULL DEFAULT 0,
    CreatedBy         NVARCHAR(200)   NOT NULL,
    CreatedDate       DATETIME2(3)    NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy        NVARCHAR(200)   NULL,
    ModifiedDate      DATETIME2(3)    NULL,
    IsActive          BIT             NOT NULL DEFAULT 1,
    IsDeleted         BIT             NOT NULL DEFAULT 0
);

-- IMEI ranges (whole TACs) to make, model and network type.
CREATE TABLE IMEI_DeviceType_CarrierRatePlan (
    Id                  INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    Manufacturer        NVARCHAR(100)  NOT NULL,
    Model               NVARCHAR(100)  NOT NULL,
    FromIMEI            NVARCHAR(15)   NOT NULL,
    ToIMEI              NVARCHAR(15)   NOT NULL,
    DeviceType          NVARCHAR(50)   NOT NULL DEFAULT '',
    SIMType             NVARCHAR(50)   NOT NULL DEFAULT '',
    DeviceCommonName    NVARCHAR(200)  NOT NULL DEFAULT '',
    DeviceMarketingName NVARCHAR(200)  NOT NULL DEFAULT '',
    NetworkType         NVARCHAR(30)   NOT NULL,
    RANType             NVARCHAR(30)   NOT NULL DEFAULT '',
    VoLTECapable        BIT            NOT NULL DEFAULT 0,
    ServiceProviderId   INT            NULL REFERENCES ServiceProvider (Id),
    CreatedBy           NVARCHAR(200)  NOT NULL,
    CreatedDate         DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy          NVARCHAR(200)  NULL,
    ModifiedDate        DATETIME2(3)   NULL,
    IsActive            BIT            NOT NULL DEFAULT 1
);
CREATE INDEX IX_IMEI_DeviceType_CarrierRatePlan_Range ON IMEI_DeviceType_CarrierRatePlan (FromIMEI, ToIMEI);

-- The inventory. One live (IsDeleted = 0) device per ICCID and per IMEI.
CREATE TABLE Device (
    Id                 INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    ServiceProviderId  INT            NOT NULL REFERENCES ServiceProvider (Id),
    TenantId           INT            NOT NULL REFERENCES Tenant (Id),
    ICCID              NVARCHAR(20)   NULL,
    IMEI               NVARCHAR(16)   NULL,
    MSISDN             NVARCHAR(15)   NULL,
    EID                NVARCHAR(32)   NULL,
    IMSI               NVARCHAR(15)   NULL,
    DeviceStatusId     INT            NOT NULL REFERENCES DeviceStatus (Id),
    Status             NVARCHAR(50)   NOT NULL DEFAULT '',
    CarrierRatePlanId  INT            NULL REFERENCES ThingSpaceCarrierRatePlan (Id),
    RatePlan           NVARCHAR(100)  NULL,
    CustomerRatePlanId INT            NULL REFERENCES CustomerRatePlan (Id),
    DeviceDescription  NVARCHAR(200)  NOT NULL DEFAULT '',
    Username           NVARCHAR(100)  NOT NULL DEFAULT '',
    IpAddress          NVARCHAR(45)   NULL,
    ProviderDateAdded  DATETIME2(3)   NULL,
    LastUsageDate      DATETIME2(3)   NULL,
    CreatedBy          NVARCHAR(200)  NOT NULL,
    CreatedDate        DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy         NVARCHAR(200)  NULL,
    ModifiedDate       DATETIME2(3)   NULL,
    IsActive           BIT            NOT NULL DEFAULT 1,
    IsDeleted          BIT            NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX UX_Device_ICCID ON Device (ICCID) WHERE IsDeleted = 0 AND ICCID IS NOT NULL;
CREATE UNIQUE INDEX UX_Device_IMEI ON Device (IMEI) WHERE IsDeleted = 0 AND IMEI IS NOT NULL;
CREATE INDEX IX_Device_MSISDN ON Device (MSISDN);
CREATE INDEX IX_Device_EID ON Device (EID);
CREATE INDEX IX_Device_Tenant ON Device (TenantId, ServiceProviderId, Id);

-- The carrier-side copy of a device, as the legacy sync keeps it.
CREATE TABLE ThingSpaceDevice (
    Id                INT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    ServiceProviderId INT            NOT NULL REFERENCES ServiceProvider (Id),
    ICCID             NVARCHAR(20)   NULL,
    IMEI              NVARCHAR(16)   NULL,
    MSISDN            NVARCHAR(15)   NULL,
    Status            NVARCHAR(50)   NOT NULL DEFAULT '',
    RatePlan          NVARCHAR(100)  NULL,
    DeviceStatusId    INT            NOT NULL REFERENCES DeviceStatus (Id),
    AccountNumber     NVARCHAR(50)   NOT NULL DEFAULT '',
    CreatedBy         NVARCHAR(200)  NOT NULL,
    CreatedDate       DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy        NVARCHAR(200)  NULL,
    ModifiedDate      DATETIME2(3)   NULL,
    IsActive          BIT            NOT NULL DEFAULT 1,
    IsDeleted         BIT            NOT NULL DEFAULT 0
);
CREATE INDEX IX_ThingSpaceDevice_ICCID ON ThingSpaceDevice (ServiceProviderId, ICCID);
CREATE INDEX IX_ThingSpaceDevice_IMEI ON ThingSpaceDevice (ServiceProviderId, IMEI);

-- The three identifier changes idswap runs; the name is the ThingSpace change4gOption.
CREATE TABLE DeviceChangeRequestType (
    Id            INT            NOT NULL PRIMARY KEY,
    Name          NVARCHAR(50)   NOT NULL,
    DisplayName   NVARCHAR(100)  NOT NULL,
    IntegrationId INT            NOT NULL REFERENCES Integration (Id),
    IsActive      BIT            NOT NULL DEFAULT 1,
    CONSTRAINT UQ_DeviceChangeRequestType_Name UNIQUE (Name)
);

-- One row per request. IdempotencyKey makes a second submit of the same form a no-op.
CREATE TABLE DeviceBulkChange (
    Id                  BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    TenantId            INT            NOT NULL REFERENCES Tenant (Id),
    SiteId              INT            NULL,
    ChangeRequestTypeId INT            NOT NULL REFERENCES DeviceChangeRequestType (Id),
    ServiceProviderId   INT            NOT NULL REFERENCES ServiceProvider (Id),
    Status              NVARCHAR(30)   NOT NULL,
    StatusDetails       NVARCHAR(MAX)  NULL,
    Reason              NVARCHAR(500)  NOT NULL,
    RequestedByUserId   INT            NULL REFERENCES AppUser (Id),
    IdempotencyKey      NVARCHAR(64)   NULL,
    CreatedBy           NVARCHAR(200)  NOT NULL,
    CreatedDate         DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ProcessedBy         NVARCHAR(200)  NULL,
    ProcessedDate       DATETIME2(3)   NULL,
    ModifiedBy          NVARCHAR(200)  NULL,
    ModifiedDate        DATETIME2(3)   NULL,
    IsActive            BIT            NOT NULL DEFAULT 1,
    IsDeleted           BIT            NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX UX_DeviceBulkChange_IdempotencyKey ON DeviceBulkChange (IdempotencyKey) WHERE IdempotencyKey IS NOT NULL;
CREATE INDEX IX_DeviceBulkChange_Tenant ON DeviceBulkChange (TenantId, CreatedDate);
CREATE INDEX IX_DeviceBulkChange_Status ON DeviceBulkChange (Status, CreatedDate);
CREATE INDEX IX_DeviceBulkChange_CreatedDate ON DeviceBulkChange (CreatedDate);

-- One row per device in a request. ICCID/IMEI/MSISDN/EID are the device's identifiers when the
-- row was created; NewICCID/NewIMEI what it changes to (also inside ChangeRequest JSON, but kept
-- as columns so "is this identifier in an open change" is an index seek).
CREATE TABLE M2M_DeviceChange (
    Id            BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    BulkChangeId  BIGINT         NOT NULL REFERENCES DeviceBulkChange (Id),
    DeviceId      INT            NULL REFERENCES Device (Id),
    ICCID         NVARCHAR(50)   NULL,
    IMEI          NVARCHAR(16)   NULL,
    MSISDN        NVARCHAR(15)   NULL,
    EID           NVARCHAR(32)   NULL,
    IpAddress     NVARCHAR(45)   NULL,
    NewICCID      NVARCHAR(20)   NULL,
    NewIMEI       NVARCHAR(16)   NULL,
    ServicePlan   NVARCHAR(100)  NULL,
    Status        NVARCHAR(30)   NOT NULL,
    StatusDetails NVARCHAR(MAX)  NULL,
    HasErrors     BIT            NOT NULL DEFAULT 0,
    IsProcessed   BIT            NOT NULL DEFAULT 0,
    ChangeRequest NVARCHAR(MAX)  NOT NULL,
    RequestId     NVARCHAR(64)   NULL,
    SubmittedDate DATETIME2(3)   NULL,
    ProcessedBy   NVARCHAR(200)  NULL,
    ProcessedDate DATETIME2(3)   NULL,
    CreatedBy     NVARCHAR(200)  NOT NULL,
    CreatedDate   DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedBy    NVARCHAR(200)  NULL,
    ModifiedDate  DATETIME2(3)   NULL,
    IsActive      BIT            NOT NULL DEFAULT 1,
    IsDeleted     BIT            NOT NULL DEFAULT 0
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
    Id                  BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    BulkChangeId        BIGINT         NOT NULL REFERENCES DeviceBulkChange (Id),
    M2MDeviceChangeId   BIGINT         NULL REFERENCES M2M_DeviceChange (Id),
    LogEntryDescription NVARCHAR(200)  NOT NULL,
    RequestText         NVARCHAR(MAX)  NULL,
    ResponseText        NVARCHAR(MAX)  NULL,
    ResponseStatus      NVARCHAR(30)   NOT NULL,
    HasErrors           BIT            NOT NULL DEFAULT 0,
    ErrorText           NVARCHAR(MAX)  NULL,
    ErrorCode           NVARCHAR(200)  NULL,
    ProcessedBy         NVARCHAR(200)  NOT NULL,
    ProcessedDate       DATETIME2(3)   NOT NULL
);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Bulk ON M2MDeviceBulkChangeLog (BulkChangeId, ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Change ON M2MDeviceBulkChangeLog (M2MDeviceChangeId, ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Date ON M2MDeviceBulkChangeLog (ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_Entry ON M2MDeviceBulkChangeLog (LogEntryDescription, ProcessedDate);
CREATE INDEX IX_M2MDeviceBulkChangeLog_ErrorCode ON M2MDeviceBulkChangeLog (ErrorCode) WHERE ErrorCode IS NOT NULL;

-- Every CarrierService callback as received, before anything is decided from it.
CREATE TABLE ThingSpaceCallBackResponseLog (
    Id                BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    RequestId         NVARCHAR(64)   NULL,
    APIStatus         NVARCHAR(30)   NULL,
    APIResponse       NVARCHAR(MAX)  NOT NULL,
    TenantId          INT            NULL,
    ServiceProviderId INT            NULL,
    BulkChangeId      BIGINT         NULL,
    M2MDeviceChangeId BIGINT         NULL,
    ICCID             NVARCHAR(50)   NULL,
    CallbackCount     INT            NULL,
    CallbackDate      DATETIME2(3)   NOT NULL,
    ProcessedDate     DATETIME2(3)   NULL,
    CreatedDate       DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME()
);
CREATE INDEX IX_ThingSpaceCallBackResponseLog_RequestId ON ThingSpaceCallBackResponseLog (RequestId);
CREATE INDEX IX_ThingSpaceCallBackResponseLog_Date ON ThingSpaceCallBackResponseLog (CallbackDate);

-- Old → new identifiers of a device, so any identifier it ever had finds it.
CREATE TABLE DeviceIdentifierChangeHistory (
    Id                BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    DeviceId          INT            NOT NULL REFERENCES Device (Id),
    TenantId          INT            NOT NULL REFERENCES Tenant (Id),
    ServiceProviderId INT            NOT NULL REFERENCES ServiceProvider (Id),
    OldICCID          NVARCHAR(20)   NULL,
    NewICCID          NVARCHAR(20)   NULL,
    OldIMEI           NVARCHAR(16)   NULL,
    NewIMEI           NVARCHAR(16)   NULL,
    ChangeReason      NVARCHAR(500)  NOT NULL DEFAULT '',
    ChangedBy         NVARCHAR(200)  NOT NULL,
    ChangeDate        DATETIME2(3)   NOT NULL,
    BulkChangeId      BIGINT         NULL REFERENCES DeviceBulkChange (Id),
    M2MDeviceChangeId BIGINT         NULL REFERENCES M2M_DeviceChange (Id)
);
CREATE INDEX IX_DeviceIdentifierChangeHistory_Device ON DeviceIdentifierChangeHistory (DeviceId, ChangeDate);
CREATE INDEX IX_DeviceIdentifierChangeHistory_OldICCID ON DeviceIdentifierChangeHistory (OldICCID);
CREATE INDEX IX_DeviceIdentifierChangeHistory_NewICCID ON DeviceIdentifierChangeHistory (NewICCID);
CREATE INDEX IX_DeviceIdentifierChangeHistory_OldIMEI ON DeviceIdentifierChangeHistory (OldIMEI);
CREATE INDEX IX_DeviceIdentifierChangeHistory_NewIMEI ON DeviceIdentifierChangeHistory (NewIMEI);
CREATE INDEX IX_DeviceIdentifierChangeHistory_Date ON DeviceIdentifierChangeHistory (ChangeDate);

-- ours: the durable job queue.
CREATE TABLE Job (
    Id            BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    Kind          NVARCHAR(50)   NOT NULL,
    Payload       NVARCHAR(MAX)  NOT NULL,
    Status        NVARCHAR(20)   NOT NULL,
    Attempts      INT            NOT NULL DEFAULT 0,
    MaxAttempts   INT            NOT NULL,
    RunAt         DATETIME2(3)   NOT NULL,
    LockedBy      NVARCHAR(100)  NULL,
    LockedUntil   DATETIME2(3)   NULL,
    LastError     NVARCHAR(MAX)  NULL,
    CreatedDate   DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    ModifiedDate  DATETIME2(3)   NULL,
    CompletedDate DATETIME2(3)   NULL
);
CREATE INDEX IX_Job_Ready ON Job (Status, RunAt);

-- ours: result e-mails, written in the transaction that completes a batch and sent by a job.
CREATE TABLE EmailOutbox (
    Id           BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    BulkChangeId BIGINT         NULL REFERENCES DeviceBulkChange (Id),
    ToAddresses  NVARCHAR(MAX)  NOT NULL,
    FromAddress  NVARCHAR(320)  NOT NULL,
    Subject      NVARCHAR(500)  NOT NULL,
    Status       NVARCHAR(20)   NOT NULL,
    Attempts     INT            NOT NULL DEFAULT 0,
    LastError    NVARCHAR(MAX)  NULL,
    MessageId    NVARCHAR(200)  NULL,
    CreatedDate  DATETIME2(3)   NOT NULL DEFAULT SYSUTCDATETIME(),
    SentDate     DATETIME2(3)   NULL
);
CREATE INDEX IX_EmailOutbox_Bulk ON EmailOutbox (BulkChangeId);

-- ours: who did what, from where.
CREATE TABLE AuditEvent (
    Id          BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    TenantId    INT            NULL,
    AppUserId   INT            NULL,
    Actor       NVARCHAR(320)  NOT NULL,
    Action      NVARCHAR(100)  NOT NULL,
    EntityType  NVARCHAR(50)   NOT NULL DEFAULT '',
    EntityId    NVARCHAR(100)  NOT NULL DEFAULT '',
    Details     NVARCHAR(MAX)  NULL,
    RemoteAddr  NVARCHAR(64)   NOT NULL DEFAULT '',
    CreatedDate DATETIME2(3)   NOT NULL
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

-- +goose StatementBegin
-- The credentials of one provider, with the legacy column names the Lambda read.
CREATE PROCEDURE usp_ThingSpace_Get_AuthenticationByProviderId
    @providerId INT
AS
BEGIN
    SET NOCOUNT ON;
    SELECT TOP (1)
        a.Id             AS integrationAuthenticationId,
        a.ServiceProviderId AS serviceProviderId,
        a.BaseUrl        AS baseUrl,
        a.ClientId       AS clientId,
        a.ClientSecret   AS clientSecret,
        a.AuthTokenUrl   AS authTokenUrl,
        a.AuthUrl        AS authUrl,
        a.Username       AS username,
        a.Password       AS password,
        a.AccountNumber  AS accountNumber,
        a.WriteIsEnabled AS writeIsEnabled,
        a.ServiceType    AS serviceType,
        a.CallbackSecret AS callbackSecret
    FROM ThingSpaceAuthentication a
    JOIN ServiceProvider sp ON sp.Id = a.ServiceProviderId
    WHERE a.ServiceProviderId = @providerId
      AND a.IsActive = 1 AND a.IsDeleted = 0
      AND sp.IsActive = 1 AND sp.IsDeleted = 0;
END
-- +goose StatementEnd

-- +goose StatementBegin
-- Swap a device's identifiers after the carrier confirmed the change: Device, ThingSpaceDevice and
-- the history row, all or nothing. It matches the device by id AND its old identifiers, so a row
-- that is finalised twice, or a device changed meanwhile, updates nothing (the caller checks the
-- returned RowsAffected). Joins the caller's transaction when there is one.
CREATE PROCEDURE usp_UpdateIdentifierForThingSpace
    @ServiceProviderId INT,
    @DeviceId          INT,
    @OldICCID          NVARCHAR(20),
    @OldIMEI           NVARCHAR(16),
    @NewICCID          NVARCHAR(20) = NULL,
    @NewIMEI           NVARCHAR(16) = NULL,
    @ProcessedBy       NVARCHAR(200),
    @ChangeReason      NVARCHAR(500) = '',
    @BulkChangeId      BIGINT = NULL,
    @M2MDeviceChangeId BIGINT = NULL,
    @ChangeDate        DATETIME2(3)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @rows INT = 0;
    DECLARE @tenantId INT;
    BEGIN TRANSACTION;

    UPDATE Device
       SET ICCID = COALESCE(@NewICCID, ICCID),
           IMEI = COALESCE(@NewIMEI, IMEI),
           ModifiedBy = @ProcessedBy,
           ModifiedDate = @ChangeDate,
           @tenantId = TenantId
     WHERE Id = @DeviceId
       AND ServiceProviderId = @ServiceProviderId
       AND IsDeleted = 0
       AND ((@OldICCID IS NULL AND ICCID IS NULL) OR ICCID = @OldICCID)
       AND ((@OldIMEI IS NULL AND IMEI IS NULL) OR IMEI = @OldIMEI);
    SET @rows = @@ROWCOUNT;

    IF @rows = 1
    BEGIN
        UPDATE ThingSpaceDevice
           SET ICCID = COALESCE(@NewICCID, ICCID),
               IMEI = COALESCE(@NewIMEI, IMEI),
               ModifiedBy = @ProcessedBy,
               ModifiedDate = @ChangeDate
         WHERE ServiceProviderId = @ServiceProviderId
           AND ICCID = @OldICCID
           AND IsDeleted = 0;

        INSERT INTO DeviceIdentifierChangeHistory
            (DeviceId, TenantId, ServiceProviderId, OldICCID, NewICCID, OldIMEI, NewIMEI,
             ChangeReason, ChangedBy, ChangeDate, BulkChangeId, M2MDeviceChangeId)
        VALUES
            (@DeviceId, @tenantId, @ServiceProviderId, @OldICCID, COALESCE(@NewICCID, @OldICCID),
             @OldIMEI, COALESCE(@NewIMEI, @OldIMEI), @ChangeReason, @ProcessedBy, @ChangeDate,
             @BulkChangeId, @M2MDeviceChangeId);
    END

    COMMIT TRANSACTION;
    SELECT @rows AS RowsAffected;
END
-- +goose StatementEnd

-- +goose Down
DROP PROCEDURE usp_UpdateIdentifierForThingSpace;
DROP PROCEDURE usp_ThingSpace_Get_AuthenticationByProviderId;
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
