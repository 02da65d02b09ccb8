-- Issue 15: operational incidents (the admin banner and alert e-mails), tenants' webhooks and
-- the daily summary e-mail's schedule.
-- Twin of db/migrations/sqlserver/00007_incidents_webhooks_reports.sql.

-- +goose Up

-- An incident is one stretch of time a condition held (credentials refused, queue behind,
-- carrier failing), opened and cleared by the alert evaluator. Admins are told once when it
-- opens (NotifiedOpenDate) and once when it clears (NotifiedClearDate).
CREATE TABLE Incident (
    Id                INTEGER  NOT NULL PRIMARY KEY,
    Kind              TEXT     NOT NULL,
    Subject           TEXT     NOT NULL DEFAULT '',
    Title             TEXT     NOT NULL,
    Detail            TEXT     NOT NULL DEFAULT '',
    OpenedDate        DATETIME NOT NULL,
    ClearedDate       DATETIME NULL,
    NotifiedOpenDate  DATETIME NULL,
    NotifiedClearDate DATETIME NULL
);
-- At most one open incident per condition and subject, whichever process evaluates.
CREATE UNIQUE INDEX UX_Incident_Open ON Incident (Kind, Subject) WHERE ClearedDate IS NULL;
CREATE INDEX IX_Incident_Opened ON Incident (OpenedDate);

-- A tenant's HTTPS endpoint for events; the secret signs every delivery and is stored sealed.
CREATE TABLE WebhookEndpoint (
    Id           INTEGER  NOT NULL PRIMARY KEY,
    TenantId     INTEGER  NOT NULL REFERENCES Tenant (Id),
    Url          TEXT     NOT NULL,
    Events       TEXT     NOT NULL,
    Secret       TEXT     NOT NULL,
    IsActive     INTEGER  NOT NULL DEFAULT 1,
    CreatedBy    TEXT     NOT NULL,
    CreatedDate  DATETIME NOT NULL,
    ModifiedDate DATETIME NULL
);
CREATE INDEX IX_WebhookEndpoint_Tenant ON WebhookEndpoint (TenantId, IsActive);

-- One event for one endpoint, and how its attempts went.
CREATE TABLE WebhookDelivery (
    Id            INTEGER  NOT NULL PRIMARY KEY,
    EndpointId    INTEGER  NOT NULL REFERENCES WebhookEndpoint (Id),
    Event         TEXT     NOT NULL,
    Payload       TEXT     NOT NULL,
    Status        TEXT     NOT NULL,
    Attempts      INTEGER  NOT NULL DEFAULT 0,
    ResponseCode  INTEGER  NULL,
    LastError     TEXT     NULL,
    CreatedDate   DATETIME NOT NULL,
    DeliveredDate DATETIME NULL,
    ModifiedDate  DATETIME NULL
);
CREATE INDEX IX_WebhookDelivery_Endpoint ON WebhookDelivery (EndpointId, CreatedDate);

-- When the daily summary goes out and to whom: one row per tenant, and one (TenantId NULL) for
-- the admins' summary of every tenant. SendAt is HH:MM in the tenant's TimeZone (UTC for the
-- all-tenants row); LastSentDay (yyyy-mm-dd, local) makes it once a day.
CREATE TABLE ReportSchedule (
    Id           INTEGER  NOT NULL PRIMARY KEY,
    TenantId     INTEGER  NULL REFERENCES Tenant (Id),
    SendAt       TEXT     NOT NULL,
    Recipients   TEXT     NOT NULL,
    IsActive     INTEGER  NOT NULL DEFAULT 1,
    LastSentDay  TEXT     NULL,
    ModifiedBy   TEXT     NOT NULL,
    ModifiedDate DATETIME NOT NULL
);
CREATE UNIQUE INDEX UX_ReportSchedule_Tenant ON ReportSchedule (TenantId) WHERE TenantId IS NOT NULL;

-- +goose Down
DROP TABLE ReportSchedule;
DROP TABLE WebhookDelivery;
DROP TABLE WebhookEndpoint;
DROP TABLE Incident;
