-- One row per decision with its letter, patient, reviewer, service, body region and citation summary.
-- Grain: one disputed item of one letter (fact_decision).
-- Columns:
--   decision_key                     the decision's key (fact_decision)
--   letter_id                        the letter: its case number, else its source path
--   case_number                      IMR case number (NULL for letters without a header)
--   source_path                      the file the letter was loaded from
--   decision_date                    the letter's decision date
--   ordinal                          1, 2, … the item's place in the letter
--   service                          the disputed service as written
--   service_label                    the service normalized for grouping (dim_service)
--   treatment_category               taxonomy category (vocab/taxonomy.csv)
--   treatment_subcategory            taxonomy subcategory
--   treatment_label                  the subcategory's label
--   decision                         'upheld' or 'overturned'
--   overturned                       1 if overturned, else 0
--   quantity                         amount requested (NULL: none stated)
--   quantity_unit                    visits, sessions, units, refills, days, months (NULL: none)
--   body_region                      region named (vocab/regions.csv; NULL: none)
--   body_region_label                the region's label
--   patient_age                      age in years
--   age_band                         under 30, 30-39, …, 70 and over
--   patient_sex                      male, female or NULL
--   injury_date                      the patient's date of injury
--   reviewer_specialties             the reviewer's specialties, '; '-separated
--   reviewer_subspecialties          the reviewer's subspecialties, '; '-separated
--   reviewer_board_certified         board certified (true/false; NULL: not stated)
--   reviewer_licensure_states        states of licensure, 'TX, NY, CA'
--   reviewer_licensed_in_california  licensed in California
--   citations                        guideline citations for this decision
--   claims_administrator_citations   of which by the claims administrator
--   reviewer_citations               of which by the reviewer
--   claims_administrator_sources     distinct sources the claims administrator cited, 'MTUS, ODG'
--   reviewer_sources                 distinct sources the reviewer cited
--   rationale                        the reviewer's decision rationale
--   start_line                       first line of the item in the source file
--   end_line                         last line of the item in the source file
CREATE OR REPLACE VIEW old_v_decisions AS
WITH citation_summary AS (
    SELECT decision_key,
           count(*) AS citations,
           count(*) FILTER (WHERE cited_by = 'claims_administrator') AS claims_administrator_citations,
           count(*) FILTER (WHERE cited_by = 'reviewer') AS reviewer_citations,
           -- list_distinct over a handful of sources: far cheaper than string_agg(DISTINCT …)
           nullif(array_to_string(list_sort(list_distinct(list(source) FILTER (WHERE cited_by = 'claims_administrator'))), ', '), '')
               AS claims_administrator_sources,
           nullif(array_to_string(list_sort(list_distinct(list(source) FILTER (WHERE cited_by = 'reviewer'))), ', '), '')
               AS reviewer_sources
    -- the sources as the letters name them (dim_guideline), not the canonical documents'
    FROM (SELECT c.decision_key, c.cited_by, g.source FROM fact_citation AS c
          JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key) AS cited
    GROUP BY decision_key
)
SELECT d.decision_key,
       l.letter_id,
       l.case_number,
       l.source_path,
       l.decision_date,
       d.ordinal,
       d.service,
       s.service_label,
       s.treatment_category,
       s.treatment_subcategory,
       s.subcategory_label AS treatment_label,
       d.dwc_category,
       d.dwc_subcategory,
       g.generic AS drug_generic,
       g.drug_class,
       d.drug_brand,
       d.drug_strength,
       d.drug_dose_form,
       d.decision,
       d.overturned,
       d.quantity,
       d.quantity_unit,
       b.body_region,
       b.label AS body_region_label,
       l.patient_age,
       l.age_band,
       l.patient_sex,
       l.injury_date,
       r.specialties AS reviewer_specialties,
       r.board_specialties AS reviewer_board_specialties,
       r.subspecialties AS reviewer_subspecialties,
       r.board_certified AS reviewer_board_certified,
       r.licensure_states AS reviewer_licensure_states,
       r.licensed_in_california AS reviewer_licensed_in_california,
       coalesce(c.citations, 0) AS citations,
       coalesce(c.claims_administrator_citations, 0) AS claims_administrator_citations,
       coalesce(c.reviewer_citations, 0) AS reviewer_citations,
       c.claims_administrator_sources,
       c.reviewer_sources,
       d.rationale,
       d.start_line,
       d.end_line,
       d.partial_authorization,
       d.original_quantity,
       d.authorized_quantity,
       d.body_region_source
FROM fact_decision AS d
JOIN dim_letter AS l ON l.letter_key = d.letter_key
JOIN dim_service AS s ON s.service_key = d.service_key
JOIN dim_reviewer AS r ON r.reviewer_key = d.reviewer_key
LEFT JOIN dim_body_region AS b ON b.body_region_key = d.body_region_key
LEFT JOIN citation_summary AS c ON c.decision_key = d.decision_key
LEFT JOIN dim_drug AS g ON g.drug_key = d.drug_key;
