-- The security audit trail: every authentication, exchange, step-up, revocation and refusal. The
-- same step as sqlite/005_security_events.sql; seq orders the events (newest first when listed).
CREATE TABLE security_events (
  seq              bigint GENERATED ALWAYS AS IDENTITY,
  event_id         text NOT NULL,
  project_id       text NOT NULL,
  request_id       text NOT NULL,
  kind             text NOT NULL,
  outcome          text NOT NULL,
  reason           text NOT NULL,
  route            text NOT NULL,
  organization_id  text NOT NULL,
  member_id        text NOT NULL,
  session_id_hash  text NOT NULL,
  ip_address       text NOT NULL,
  user_agent       text NOT NULL,
  created_at       bigint NOT NULL,
  CONSTRAINT security_events_pkey PRIMARY KEY (seq),
  CONSTRAINT security_events_event_id UNIQUE (event_id)
);
CREATE INDEX security_events_by_project ON security_events (project_id, seq);
