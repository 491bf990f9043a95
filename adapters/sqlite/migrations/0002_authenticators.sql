-- Passkeys, with the columns of Auth.js's Authenticator model.
-- "credentialBackedUp" is 0 or 1; transports is comma-separated
-- ("usb,nfc") or NULL.

CREATE TABLE authenticators (
	"credentialID"         TEXT NOT NULL UNIQUE,
	"userId"               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	"providerAccountId"    TEXT NOT NULL,
	"credentialPublicKey"  TEXT NOT NULL,
	counter                INTEGER NOT NULL,
	"credentialDeviceType" TEXT NOT NULL,
	"credentialBackedUp"   INTEGER NOT NULL CHECK ("credentialBackedUp" IN (0, 1)),
	transports             TEXT,
	PRIMARY KEY ("userId", "credentialID")
);
