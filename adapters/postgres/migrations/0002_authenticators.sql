-- Passkeys, with the columns of Auth.js's Authenticator model. No Auth.js
-- adapter for PostgreSQL's plain driver keeps them; ginauth's
-- WebAuthnAdapter methods do.
CREATE TABLE IF NOT EXISTS authenticators (
	"credentialID" TEXT NOT NULL UNIQUE,
	"userId" INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,
	"providerAccountId" TEXT NOT NULL,
	"credentialPublicKey" TEXT NOT NULL,
	counter BIGINT NOT NULL,
	"credentialDeviceType" TEXT NOT NULL,
	"credentialBackedUp" BOOLEAN NOT NULL,
	transports TEXT,
	PRIMARY KEY ("userId", "credentialID")
);
