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
SELECT l.letter_id,
       l.case_number,
       l.decision_date,
       d.ordinal,
       d.original_request,
       d.original_quantity,
       d.authorized,
       d.authorized_quantity,
       d.service,
       d.quantity AS decided_quantity,
       d.quantity_unit,
       d.decision,
       d.dwc_category,
       d.dwc_subcategory
FROM fact_decision AS d
JOIN dim_letter AS l ON l.letter_key = d.letter_key
WHERE d.partial_authorization;
