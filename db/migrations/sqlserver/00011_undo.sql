-- Undo (issue 15, item 3): a request made to put a finished request's processed rows back to
-- their old identifiers names the request it undoes, so each links to the other.
-- Twin of db/migrations/sqlite/00011_undo.sql.

-- +goose Up
-- ours: the request this one undoes; NULL for every other request.
ALTER TABLE DeviceBulkChange ADD UndoOfBulkChangeId BIGINT NULL
    CONSTRAINT FK_DeviceBulkChange_UndoOf REFERENCES DeviceBulkChange (Id);
-- The original's page finds its undos ("Undone by"), and the open-undo check seeks them.
CREATE INDEX IX_DeviceBulkChange_UndoOf ON DeviceBulkChange (UndoOfBulkChangeId) WHERE UndoOfBulkChangeId IS NOT NULL;

-- +goose Down
DROP INDEX IX_DeviceBulkChange_UndoOf ON DeviceBulkChange;
ALTER TABLE DeviceBulkChange DROP CONSTRAINT FK_DeviceBulkChange_UndoOf;
ALTER TABLE DeviceBulkChange DROP COLUMN UndoOfBulkChangeId;
