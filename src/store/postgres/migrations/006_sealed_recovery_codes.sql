-- Recovery codes are also kept sealed (AES-GCM under the installation's sealing key) so that
-- `recovery_codes/get` can show the unused ones; the keyed hash still verifies them. The same
-- step as sqlite/006_sealed_recovery_codes.sql.
ALTER TABLE recovery_codes ADD COLUMN sealed_code text NOT NULL DEFAULT '';
