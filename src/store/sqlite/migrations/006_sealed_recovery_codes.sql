-- Recovery codes are also kept sealed (AES-GCM under the installation's sealing key) so that
-- `recovery_codes/get` can show the unused ones, as Stytch does; the keyed hash still verifies them.
ALTER TABLE recovery_codes ADD COLUMN sealed_code TEXT NOT NULL DEFAULT '';
