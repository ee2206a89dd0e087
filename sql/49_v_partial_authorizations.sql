-- Each decision on a partial authorization: what was asked for, what the claims administrator authorized, and what IMR decided.
-- Grain: one decision whose heading states a partial authorization (fact_decision.partial_authorization).
-- Columns:
--   letter_id            the letter: its case number, else its source path
--   case_number          IMR case number (NULL for letters without a header)
--   decision_date        the letter's decision date
--   ordinal              1, 2, … the item's place in the letter
--   original_request     the original request as written ("Baclofen 100mg #30")
--   original_quantity    its quantity (NULL: none stated)
--   authorized           what the claims administrator authorized, as written ("Baclofen 100mg #27")
--   authorized_quantity  its quantity (NULL: none stated)
--   service              the part IMR decided, as written ("Baclofen 100mg #3")
--   decided_quantity     its quantity (NULL: none stated)
--   quantity_unit        the decided quantity's unit (NULL: none)
--   decision             'upheld' or 'overturned'
--   dwc_category         the DWC's category of the item
--   dwc_subcategory      the DWC's subcategory (NULL: the category has none)
-- Decisions written before revision 0005 have partial_authorization NULL (the
-- heading's wording was not kept): `imr-etl load --force` reads them again.
CREATE OR REPLACE VIEW v_partial_authorizations AS
SELECT letter.letter_id,
       letter.case_number,
       letter.decision_date,
       decision.ordinal,
       decision.original_request,
       decision.original_quantity,
       decision.authorized,
       decision.authorized_quantity,
       decision.service,
       decision.quantity AS decided_quantity,
       decision.quantity_unit,
       decision.decision,
       decision.dwc_category,
       decision.dwc_subcategory
FROM fact_decision AS decision
JOIN dim_letter AS letter ON letter.letter_key = decision.letter_key
WHERE decision.partial_authorization;
