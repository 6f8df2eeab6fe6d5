-- A run records, per instrument, the calibration certificate it was
-- measured under. Planning records the one effective then; starting
-- records the one effective at the start (a run blocked by a lapse and
-- started after recalibration was measured under the new certificate),
-- so the application role may now change that one column.

-- +goose Up
GRANT UPDATE (calibration_id) ON run_instruments TO spectra_app;

-- +goose Down
REVOKE UPDATE (calibration_id) ON run_instruments FROM spectra_app;
