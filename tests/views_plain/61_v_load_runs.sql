-- Each load run: when, how it ended, what it did — for watching the nightly job.
-- Grain: one run of `imr-etl load` (etl_load_run), newest first.
-- Columns:
--   run_id               the run
--   status               running, succeeded, failed or aborted (the process died mid-run)
--   started_at           start (UTC)
--   finished_at          end (UTC; NULL while running or if aborted)
--   seconds              wall time
--   letters_seen         letter files found
--   letters_new          loaded for the first time
--   letters_updated      changed since their last load: their rows were replaced
--   letters_unchanged    same content as already loaded: skipped
--   letters_quarantined  sent to etl_quarantine (v_quarantine)
--   decisions_written    fact_decision rows written
--   letters_per_second   letters_seen / seconds
--   paths                what the run was asked to load
--   imr_etl_version      the imr-etl version that ran
--   message              why it failed or was aborted
CREATE OR REPLACE VIEW old_v_load_runs AS
SELECT run_id,
       status,
       started_at,
       finished_at,
       seconds,
       letters_seen,
       letters_new,
       letters_updated,
       letters_rederived,
       letters_unchanged,
       letters_quarantined,
       decisions_written,
       decisions_unclassified,
       CASE WHEN seconds > 0 THEN letters_seen / seconds END AS letters_per_second,
       paths,
       imr_etl_version,
       message
FROM etl_load_run
ORDER BY run_id DESC;
