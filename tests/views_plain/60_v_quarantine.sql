-- Letters that failed to read, parse or load, with why and where: the nightly job's to-do list.
-- Grain: one quarantined file version (source_path, sha256); a later successful load of the path removes it.
-- Columns:
--   source_path     the file
--   sha256          hex digest of the file's bytes
--   stage           read, parse or load
--   reason          what went wrong, in one line
--   line_number     line of the file where parsing failed (NULL: not a parse error)
--   column_number   column of that line
--   expected        what the grammar expected there, '; '-separated
--   size_bytes      the file's size
--   text_preview    the first 200 characters of its text, whitespace collapsed (full text: etl_quarantine.raw_text)
--   run_id          the latest load run that tried it (v_load_runs)
--   quarantined_at  when (UTC)
CREATE OR REPLACE VIEW old_v_quarantine AS
SELECT source_path,
       sha256,
       stage,
       reason,
       line_number,
       column_number,
       expected,
       size_bytes,
       left(trim(regexp_replace(coalesce(raw_text, ''), '\s+', ' ', 'g')), 200) AS text_preview,
       run_id,
       quarantined_at
FROM etl_quarantine
ORDER BY quarantined_at DESC, source_path;
