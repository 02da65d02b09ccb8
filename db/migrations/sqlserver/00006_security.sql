-- Security hardening (issue 14): server-side sessions, sign-in throttling kept in the database,
-- and API tokens that can be named, scoped, revoked and seen in use. Twin of
-- db/migrations/sqlite/00006_security.sql.

-- +goose Up

-- ours: a signed-in browser session; only the SHA-256 of the cookie's random id is kept.
CREATE TABLE UserSession (
    Id           BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    IdHash       CHAR(64)        NOT NULL,
    AppUserId    INT             NOT NULL REFERENCES AppUser (Id),
    Data         NVARCHAR(4000)  NOT NULL,
    RemoteAddr   NVARCHAR(64)    NULL,
    UserAgent    NVARCHAR(400)   NULL,
    CreatedDate  DATETIME2(3)    NOT NULL DEFAULT SYSUTCDATETIME(),
    LastSeenDate DATETIME2(3)    NOT NULL,
    ExpiresDate  DATETIME2(3)    NOT NULL,
    EndedDate    DATETIME2(3)    NULL,
    EndedReason  NVARCHAR(40)    NULL,
    CONSTRAINT UQ_UserSession_IdHash UNIQUE (IdHash)
);
CREATE INDEX IX_UserSession_User ON UserSession (AppUserId, LastSeenDate) WHERE EndedDate IS NULL;

-- ours: failed sign-ins per submitted e-mail address ('account') and per client address ('addr').
CREATE TABLE LoginThrottle (
    Id              BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
    Kind            NVARCHAR(10)   NOT NULL,
    Subject         NVARCHAR(320)  NOT NULL,
    Failures        INT            NOT NULL DEFAULT 0,
    LastFailureDate DATETIME2(3)   NULL,
    NextAllowedDate DATETIME2(3)   NULL,
    CONSTRAINT UQ_LoginThrottle_Subject UNIQUE (Kind, Subject),
    CONSTRAINT CK_LoginThrottle_Kind CHECK (Kind IN ('account', 'addr'))
);
CREATE INDEX IX_LoginThrottle_LastFailure ON LoginThrottle (LastFailureDate);

ALTER TABLE ApiToken ADD Scope NVARCHAR(20) NOT NULL CONSTRAINT DF_ApiToken_Scope DEFAULT 'read-write';
ALTER TABLE ApiToken ADD LastUsedAddr NVARCHAR(64) NULL;
ALTER TABLE ApiToken ADD RevokedDate DATETIME2(3) NULL;
ALTER TABLE ApiToken ADD RevokedBy NVARCHAR(200) NULL;
CREATE INDEX IX_ApiToken_User ON ApiToken (AppUserId, CreatedDate);

-- +goose Down
DROP INDEX IX_ApiToken_User ON ApiToken;
ALTER TABLE ApiToken DROP COLUMN RevokedBy;
ALTER TABLE ApiToken DROP COLUMN RevokedDate;
ALTER TABLE ApiToken DROP COLUMN LastUsedAddr;
ALTER TABLE ApiToken DROP CONSTRAINT DF_ApiToken_Scope;
ALTER TABLE ApiToken DROP COLUMN Scope;
DROP TABLE LoginThrottle;
DROP TABLE UserSession;
