-- Auth.js's tables, with the names and columns of @auth/pg-adapter:
-- quoted camelCase for "userId", "providerAccountId", "sessionToken" and
-- "emailVerified", snake case for the provider's token fields. Times are
-- text, RFC 3339 in UTC with milliseconds ("2024-05-06T07:08:09.000Z", as
-- JavaScript's Date.toISOString writes them), so that they sort as text.

CREATE TABLE users (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	name            TEXT,
	email           TEXT UNIQUE,
	"emailVerified" TEXT,
	image           TEXT
);

CREATE TABLE accounts (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	"userId"            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	type                TEXT NOT NULL,
	provider            TEXT NOT NULL,
	"providerAccountId" TEXT NOT NULL,
	refresh_token       TEXT,
	access_token        TEXT,
	expires_at          INTEGER,
	id_token            TEXT,
	scope               TEXT,
	session_state       TEXT,
	token_type          TEXT,
	UNIQUE (provider, "providerAccountId")
);

CREATE INDEX accounts_user_id ON accounts ("userId");

CREATE TABLE sessions (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	"userId"       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires        TEXT NOT NULL,
	"sessionToken" TEXT NOT NULL UNIQUE
);

CREATE INDEX sessions_user_id ON sessions ("userId");

CREATE TABLE verification_token (
	identifier TEXT NOT NULL,
	expires    TEXT NOT NULL,
	token      TEXT NOT NULL,
	PRIMARY KEY (identifier, token)
);
