package paths

// A user's own account pages (sessions, API tokens) and the admins' view of every token.
const (
	Account              = "/account"
	AccountSessions      = Account + "/sessions"
	AccountSessionRoute  = AccountSessions + "/:id"
	AccountSessionEndRt  = AccountSessionRoute + "/end"
	AccountTokens        = Account + "/tokens"
	AccountTokenRoute    = AccountTokens + "/:id"
	AccountTokenRevokeRt = AccountTokenRoute + "/revoke"
	AdminTokens          = Admin + "/tokens"
)

// AccountSessionEnd is where the "End" button of one of the user's sessions posts.
func AccountSessionEnd(sessionID int64) string { return AccountSessions + "/" + id(sessionID) + "/end" }

// AccountTokenRevoke is where the "Revoke" button of an API token posts (for its owner or an admin).
func AccountTokenRevoke(tokenID int64) string { return AccountTokens + "/" + id(tokenID) + "/revoke" }
