-- Discovery: an intermediate session may be bound to no organization yet, only to an email
-- address. The same step as sqlite/004_discovery_intermediate_sessions.sql, where '' in
-- organization_id / member_id means "not bound"; the adapter writes '' here too and reads it
-- back as null, so both databases hold the same values.
ALTER TABLE intermediate_sessions ADD COLUMN email_address text NOT NULL DEFAULT '';
