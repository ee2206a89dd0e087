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
--   dwc_category                     the DWC's category of the item (docs/dwc-taxonomy.md; 'Unclassified': no rule fits)
--   dwc_subcategory                  the DWC's subcategory (NULL: the category has none)
--   drug_generic                     the drug's generic ingredient(s), 'hydrocodone/acetaminophen' (NULL: no drug)
--   drug_class                       its DWC drug class: Opioids, NSAID, … (NULL: no drug)
--   drug_brand                       the brand as the letter gives it, 'Norco' (NULL: none)
--   drug_strength                    the strength as written, '10/325mg' (NULL: none)
--   drug_dose_form                   tablet, capsule, cream, patch, … (NULL: not stated)
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
--   reviewer_specialties             the reviewer's specialties, '; '-separated, as the letter writes them
--   reviewer_board_specialties       the DWC board specialties they name, '; '-separated ('': none)
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
--   partial_authorization            the claims administrator authorized part of the request, IMR decided the rest (NULL: not known, written before revision 0005)
--   original_quantity                a partial authorization's original quantity (NULL: none)
--   authorized_quantity              the quantity the claims administrator authorized (NULL: none)
--   body_region_source               service (the service names the region), guideline (the cited chapters agree on it) or NULL
-- The citation counts and sources are fact_decision's own columns, kept by the
-- load (revision 0003): the view reads no citation.  The DWC classification and
-- the drug's brand, strength and form are fact_decision's too (revision 0004).
CREATE OR REPLACE VIEW v_decisions AS
SELECT decision.decision_key,
       letter.letter_id,
       letter.case_number,
       letter.source_path,
       letter.decision_date,
       decision.ordinal,
       decision.service,
       service.service_label,
       service.treatment_category,
       service.treatment_subcategory,
       service.subcategory_label AS treatment_label,
       decision.dwc_category,
       decision.dwc_subcategory,
       drug.generic AS drug_generic,
       drug.drug_class,
       decision.drug_brand,
       decision.drug_strength,
       decision.drug_dose_form,
       decision.decision,
       decision.overturned,
       decision.quantity,
       decision.quantity_unit,
       region.body_region,
       region.label AS body_region_label,
       letter.patient_age,
       letter.age_band,
       letter.patient_sex,
       letter.injury_date,
       reviewer.specialties AS reviewer_specialties,
       reviewer.board_specialties AS reviewer_board_specialties,
       reviewer.subspecialties AS reviewer_subspecialties,
       reviewer.board_certified AS reviewer_board_certified,
       reviewer.licensure_states AS reviewer_licensure_states,
       reviewer.licensed_in_california AS reviewer_licensed_in_california,
       CAST(decision.citation_count AS BIGINT) AS citations,
       CAST(decision.claims_administrator_citations AS BIGINT) AS claims_administrator_citations,
       CAST(decision.reviewer_citations AS BIGINT) AS reviewer_citations,
       decision.claims_administrator_sources,
       decision.reviewer_sources,
       decision.rationale,
       decision.start_line,
       decision.end_line,
       decision.partial_authorization,
       decision.original_quantity,
       decision.authorized_quantity,
       decision.body_region_source
FROM fact_decision AS decision
JOIN dim_letter AS letter ON letter.letter_key = decision.letter_key
JOIN dim_service AS service ON service.service_key = decision.service_key
JOIN dim_reviewer AS reviewer ON reviewer.reviewer_key = decision.reviewer_key
LEFT JOIN dim_body_region AS region ON region.body_region_key = decision.body_region_key
LEFT JOIN dim_drug AS drug ON drug.drug_key = decision.drug_key;
