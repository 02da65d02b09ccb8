-- Issue 15: operational incidents (the admin banner and alert e-mails) and tenants' webhooks.
-- Twin of db/migrations/sqlserver/00007_incidents_webhooks.sql.

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

-- +goose Down
DROP TABLE WebhookDelivery;
DROP TABLE WebhookEndpoint;
DROP TABLE Incident;
