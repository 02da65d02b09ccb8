-- One carrier rate limit for the whole deployment (issue 12, item 7): every serve and worker
-- process on this database shares each provider's IDSWAP_CARRIER_RATE through this table.
-- Twin of db/migrations/sqlite/00008_carrier_rate.sql.
--
-- ours: the provider's carrier request schedule. NextSlotDate is the database-clock time of the
-- first request slot nobody holds yet; a process takes the next few slots (a grant) by moving it
-- forward under a row lock, and sends one request per slot. Slots in the past are worth nothing:
-- an idle provider banks no burst, and slots a stopped process held simply expire.

-- +goose Up
CREATE TABLE CarrierRateSchedule (
    ServiceProviderId INT          NOT NULL PRIMARY KEY REFERENCES ServiceProvider (Id),
    NextSlotDate      DATETIME2(3) NOT NULL,
    GrantedDate       DATETIME2(3) NOT NULL,
    GrantedSlots      INT          NOT NULL,
    GrantedTo         NVARCHAR(200) NOT NULL
);

-- +goose Down
DROP TABLE CarrierRateSchedule;
