package store

// WatchSQLServerStatements hands fn the SQL Server text of every statement the store runs from
// now on (whichever dialect runs it), beside the statement record of TestMain if that is on,
// until stop is called. The tests that bound a statement's size read the text: its @pN
// placeholders are SQL Server's parameters.
func WatchSQLServerStatements(fn func(sqlserverText string)) (stop func()) {
	prev := sqlserverRecorder.Load()
	watch := func(q string) {
		if prev != nil {
			(*prev)(q)
		}
		fn(q)
	}
	sqlserverRecorder.Store(&watch)
	return func() { sqlserverRecorder.Store(prev) }
}

// SuspendStatementRecord stops handing statements to the record of TestMain (and to any watch)
// until resume is called: for a test whose IN lists and multi-row INSERTs vary in length from
// run to run, which would make the committed record differ with every run. Every statement
// such a test runs is recorded, at fixed lengths, by the tests that run it alone.
func SuspendStatementRecord() (resume func()) {
	prev := sqlserverRecorder.Load()
	sqlserverRecorder.Store(nil)
	return func() { sqlserverRecorder.Store(prev) }
}
