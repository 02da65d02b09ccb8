-- Issue 15: operational incidents (the admin banner and alert e-mails), tenants' webhooks and
-- the daily summary e-mail's schedule.
-- Twin of db/migrations/sqlite/00007_incidents_webhooks_reports.sql.

-- +goose Up

-- An incident is one stretch of time a condition held (credentials refused, queue behind,
-- carrier failing), opened and cleared by the alert evaluator. Admins are told once when it
-- opens (NotifiedOpenDate) and once when it clears (NotifiedClearDate).
CREATE TABLE Incident (
    Id                BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    Kind              NVARCHAR(50)   NOT NULL,
    Subject           NVARCHAR(100)  NOT NULL DEFAULT '',
    Title             NVARCHAR(400)  NOT NULL,
    Detail            NVARCHAR(MAX)  NOT NULL DEFAULT '',
    OpenedDate        DATETIME2(3)   NOT NULL,
    ClearedDate       DATETIME2(3)   NULL,
    NotifiedOpenDate  DATETIME2(3)   NULL,
    NotifiedClearDate DATETIME2(3)   NULL
);
-- At most one open incident per condition and subject, whichever process evaluates.
CREATE UNIQUE INDEX UX_Incident_Open ON Incident (Kind, Subject) WHERE ClearedDate IS NULL;
CREATE INDEX IX_Incident_Opened ON Incident (OpenedDate);

-- A tenant's HTTPS endpoint for events; the secret signs every delivery and is stored sealed.
CREATE TABLE WebhookEndpoint (
    Id           BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    TenantId     INT            NOT NULL REFERENCES Tenant (Id),
    Url          NVARCHAR(2000) NOT NULL,
    Events       NVARCHAR(400)  NOT NULL,
    Secret       NVARCHAR(400)  NOT NULL,
    IsActive     BIT            NOT NULL DEFAULT 1,
    CreatedBy    NVARCHAR(320)  NOT NULL,
    CreatedDate  DATETIME2(3)   NOT NULL,
    ModifiedDate DATETIME2(3)   NULL
);
CREATE INDEX IX_WebhookEndpoint_Tenant ON WebhookEndpoint (TenantId, IsActive);

-- One event for one endpoint, and how its attempts went.
CREATE TABLE WebhookDelivery (
    Id            BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    EndpointId    BIGINT         NOT NULL REFERENCES WebhookEndpoint (Id),
    Event         NVARCHAR(50)   NOT NULL,
    Payload       NVARCHAR(MAX)  NOT NULL,
    Status        NVARCHAR(20)   NOT NULL,
    Attempts      INT            NOT NULL DEFAULT 0,
    ResponseCode  INT            NULL,
    LastError     NVARCHAR(MAX)  NULL,
    CreatedDate   DATETIME2(3)   NOT NULL,
    DeliveredDate DATETIME2(3)   NULL,
    ModifiedDate  DATETIME2(3)   NULL
);
CREATE INDEX IX_WebhookDelivery_Endpoint ON WebhookDelivery (EndpointId, CreatedDate);

-- When the daily summary goes out and to whom: one row per tenant, and one (TenantId NULL) for
-- the admins' summary of every tenant. SendAt is HH:MM in the tenant's TimeZone (UTC for the
-- all-tenants row); LastSentDay (yyyy-mm-dd, local) makes it once a day.
CREATE TABLE ReportSchedule (
    Id           BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    TenantId     INT            NULL REFERENCES Tenant (Id),
    SendAt       NVARCHAR(5)    NOT NULL,
    Recipients   NVARCHAR(2000) NOT NULL,
    IsActive     BIT            NOT NULL DEFAULT 1,
    LastSentDay  NVARCHAR(10)   NULL,
    ModifiedBy   NVARCHAR(320)  NOT NULL,
    ModifiedDate DATETIME2(3)   NOT NULL
);
CREATE UNIQUE INDEX UX_ReportSchedule_Tenant ON ReportSchedule (TenantId) WHERE TenantId IS NOT NULL;

-- +goose Down
DROP TABLE ReportSchedule;
DROP TABLE WebhookDelivery;
DROP TABLE WebhookEndpoint;
DROP TABLE Incident;
