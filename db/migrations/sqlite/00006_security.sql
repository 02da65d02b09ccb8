-- Security hardening (issue 14): server-side sessions, sign-in throttling kept in the database,
-- and API tokens that can be named, scoped, revoked and seen in use. Twin of
-- db/migrations/sqlserver/00006_security.sql.

-- +goose Up

-- ours: a signed-in browser session. The cookie carries a random id; only its SHA-256 is kept
-- here, so a copy of this table opens no session. Ending a session (sign-out, a password
-- change or reset, a disabled user, the user's own "end") sets EndedDate, and the next request
-- with that cookie is signed out at once.
CREATE TABLE UserSession (
    Id           INTEGER  NOT NULL PRIMARY KEY,
    IdHash       TEXT     NOT NULL,
    AppUserId    INTEGER  NOT NULL REFERENCES AppUser (Id),
    Data         TEXT     NOT NULL,
    RemoteAddr   TEXT     NULL,
    UserAgent    TEXT     NULL,
    CreatedDate  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    LastSeenDate DATETIME NOT NULL,
    ExpiresDate  DATETIME NOT NULL,
    EndedDate    DATETIME NULL,
    EndedReason  TEXT     NULL,
    CONSTRAINT UQ_UserSession_IdHash UNIQUE (IdHash)
);
CREATE INDEX IX_UserSession_User ON UserSession (AppUserId, LastSeenDate) WHERE EndedDate IS NULL;

-- ours: failed sign-ins per submitted e-mail address (Kind 'account', known or not, so an
-- unknown address is throttled exactly like a real one) and per client address ('addr').
-- NextAllowedDate is when the next attempt will be checked at all.
CREATE TABLE LoginThrottle (
    Id              INTEGER  NOT NULL PRIMARY KEY,
    Kind            TEXT     NOT NULL,
    Subject         TEXT     NOT NULL,
    Failures        INTEGER  NOT NULL DEFAULT 0,
    LastFailureDate DATETIME NULL,
    NextAllowedDate DATETIME NULL,
    CONSTRAINT UQ_LoginThrottle_Subject UNIQUE (Kind, Subject),
    CONSTRAINT CK_LoginThrottle_Kind CHECK (Kind IN ('account', 'addr'))
);
CREATE INDEX IX_LoginThrottle_LastFailure ON LoginThrottle (LastFailureDate);

ALTER TABLE ApiToken ADD COLUMN Scope TEXT NOT NULL DEFAULT 'read-write';
ALTER TABLE ApiToken ADD COLUMN LastUsedAddr TEXT NULL;
ALTER TABLE ApiToken ADD COLUMN RevokedDate DATETIME NULL;
ALTER TABLE ApiToken ADD COLUMN RevokedBy TEXT NULL;
CREATE INDEX IX_ApiToken_User ON ApiToken (AppUserId, CreatedDate);

-- +goose Down
DROP INDEX IX_ApiToken_User;
ALTER TABLE ApiToken DROP COLUMN RevokedBy;
ALTER TABLE ApiToken DROP COLUMN RevokedDate;
ALTER TABLE ApiToken DROP COLUMN LastUsedAddr;
ALTER TABLE ApiToken DROP COLUMN Scope;
DROP TABLE LoginThrottle;
DROP TABLE UserSession;
