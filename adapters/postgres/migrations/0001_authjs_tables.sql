-- The tables of @auth/pg-adapter, as its schema.sql creates them. Tables
-- that exist already (made by an Auth.js application with the old schema,
-- which has no UNIQUE or foreign keys, or with the new one) are kept as
-- they are.
CREATE TABLE IF NOT EXISTS users (
	id SERIAL PRIMARY KEY,
	name VARCHAR(255),
	email VARCHAR(255) UNIQUE,
	"emailVerified" TIMESTAMPTZ,
	image TEXT
);

CREATE TABLE IF NOT EXISTS accounts (
	id SERIAL PRIMARY KEY,
	"userId" INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,
	type VARCHAR(255) NOT NULL,
	provider VARCHAR(255) NOT NULL,
	"providerAccountId" VARCHAR(255) NOT NULL,
	refresh_token TEXT,
	access_token TEXT,
	expires_at BIGINT,
	id_token TEXT,
	scope TEXT,
	session_state TEXT,
	token_type TEXT,
	UNIQUE (provider, "providerAccountId")
);

CREATE TABLE IF NOT EXISTS sessions (
	id SERIAL PRIMARY KEY,
	"userId" INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,
	expires TIMESTAMPTZ NOT NULL,
	"sessionToken" VARCHAR(255) UNIQUE NOT NULL
);

CREATE TABLE IF NOT EXISTS verification_token (
	identifier TEXT NOT NULL,
	expires TIMESTAMPTZ NOT NULL,
	token TEXT NOT NULL,
	PRIMARY KEY (identifier, token)
);

-- The uniqueness the store relies on (one user per email, one link per
-- provider account, one session per token), added to tables of the old
-- schema. A plain unique index on exactly those columns, whatever its
-- name, counts; the new schema's UNIQUE constraints are such indexes. The
-- names are those PostgreSQL gives the new schema's constraints. Rows
-- that already break a rule make this migration fail: they must be merged
-- by hand first.
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT * FROM (VALUES
		('users', ARRAY['email'], 'users_email_key'),
		('accounts', ARRAY['provider', 'providerAccountId'], 'accounts_provider_providerAccountId_key'),
		('sessions', ARRAY['sessionToken'], 'sessions_sessionToken_key')
	) AS v(tbl, cols, idx)
	LOOP
		IF NOT EXISTS (
			SELECT 1
			FROM pg_index i
			WHERE i.indrelid = to_regclass(quote_ident(r.tbl))
				AND i.indisunique AND i.indisvalid
				AND i.indpred IS NULL AND i.indexprs IS NULL
				AND i.indnatts = cardinality(r.cols)
				AND (SELECT array_agg(a.attname::text ORDER BY a.attname)
					FROM pg_attribute a
					WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))
					= (SELECT array_agg(c ORDER BY c) FROM unnest(r.cols) AS c)
		) THEN
			EXECUTE format('CREATE UNIQUE INDEX %I ON %I (%s)', r.idx, r.tbl,
				(SELECT string_agg(quote_ident(c), ', ') FROM unnest(r.cols) AS c));
		END IF;
	END LOOP;
END
$$;
