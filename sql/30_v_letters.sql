-- One row per letter: its header, patient, reviewer and how its decisions went.
-- Grain: one letter (dim_letter).
-- Columns:
--   letter_id                   the letter: its case number, else its source path
--   case_number                 IMR case number (NULL for letters without a header)
--   source_path                 the file the letter was loaded from
--   sha256                      hex digest of the file's bytes
--   format                      text or pdf
--   date_assigned               header: Date Assigned
--   decision_date               header: Decision Date
--   ur_denial_date              header: UR Denial Date
--   application_received        header: Application Received
--   priority                    header: Standard or Expedited
--   patient_age                 age in years
--   age_band                    under 30, 30-39, …, 70 and over
--   patient_sex                 male, female or NULL
--   injury_date                 the patient's date of injury
--   diagnoses                   diagnoses named in the summary, '; '-separated
--   reviewer_specialties        the reviewer's specialties, '; '-separated, as the letter writes them
--   reviewer_board_specialties  the DWC board specialties they name, '; '-separated ('': none)
--   reviewer_subspecialties     the reviewer's subspecialties, '; '-separated
--   reviewer_board_certified    board certified (true/false; NULL: not stated)
--   reviewer_licensure_states   states of licensure, 'TX, NY, CA'
--   decisions                   disputed items decided
--   overturned                  of which overturned
--   upheld                      of which upheld
--   load_run_id                 the load run that last wrote the letter (v_load_runs)
--   loaded_at                   when it was written (UTC)
--   outcome                     the case outcome as the DWC reports it: upheld, overturned (every item) or partially_overturned
-- decisions and overturned are dim_letter's own counts (revision 0003;
-- `imr-etl check` asserts they match fact_decision): no decision is read.
CREATE OR REPLACE VIEW v_letters AS
SELECT letter.letter_id,
       letter.case_number,
       letter.source_path,
       letter.sha256,
       letter.format,
       letter.date_assigned,
       letter.decision_date,
       letter.ur_denial_date,
       letter.application_received,
       letter.priority,
       letter.patient_age,
       letter.age_band,
       letter.patient_sex,
       letter.injury_date,
       letter.diagnoses,
       reviewer.specialties AS reviewer_specialties,
       reviewer.board_specialties AS reviewer_board_specialties,
       reviewer.subspecialties AS reviewer_subspecialties,
       reviewer.board_certified AS reviewer_board_certified,
       reviewer.licensure_states AS reviewer_licensure_states,
       CAST(letter.decision_count AS BIGINT) AS decisions,
       CAST(letter.overturned_count AS BIGINT) AS overturned,
       CAST(letter.decision_count - letter.overturned_count AS BIGINT) AS upheld,
       letter.load_run_id,
       letter.loaded_at,
       CASE WHEN letter.overturned_count = 0 THEN 'upheld'
            WHEN letter.overturned_count = letter.decision_count THEN 'overturned'
            ELSE 'partially_overturned' END AS outcome
FROM dim_letter AS letter
JOIN dim_reviewer AS reviewer ON reviewer.reviewer_key = letter.reviewer_key;
