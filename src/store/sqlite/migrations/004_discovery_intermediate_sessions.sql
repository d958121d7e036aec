-- Discovery: an intermediate session may be bound to no organization yet, only to an email address.
-- '' in organization_id / member_id means "not bound".
ALTER TABLE intermediate_sessions ADD COLUMN email_address TEXT NOT NULL DEFAULT '';
