-- Undo (issue 15, item 3): a request made to put a finished request's processed rows back to
-- their old identifiers names the request it undoes, so each links to the other.
-- Twin of db/migrations/sqlserver/00011_undo.sql.

-- +goose Up
-- ours: the request this one undoes; NULL for every other request. No REFERENCES clause: SQLite
-- cannot drop a column that is part of a foreign key, and the Down must work; the store only
-- ever writes the id of a request it has just read (request.Service.SubmitUndo).
ALTER TABLE DeviceBulkChange ADD COLUMN UndoOfBulkChangeId INTEGER NULL;
-- The original's page finds its undos ("Undone by"), and the open-undo check seeks them.
CREATE INDEX IX_DeviceBulkChange_UndoOf ON DeviceBulkChange (UndoOfBulkChangeId) WHERE UndoOfBulkChangeId IS NOT NULL;

-- +goose Down
DROP INDEX IX_DeviceBulkChange_UndoOf;
ALTER TABLE DeviceBulkChange DROP COLUMN UndoOfBulkChangeId;
