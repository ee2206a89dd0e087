"""Stage 5a: the warehouse's star schema — the one place its tables are defined.

SQLAlchemy Core tables.  The Alembic revisions in ``migrations/versions``
create them (a test checks that the migrated warehouse matches this module);
:mod:`imr_etl.rows` turns a parse record into rows for them, in column order.

Grain and keys
--------------
* ``fact_decision`` — one disputed item of one letter.  ``decision_key`` and
  the dimension keys are 63-bit hashes of natural keys (:func:`imr_etl.rows.key`),
  so a letter's rows are computed from its record alone, with no look-ups —
  the same letter always gets the same keys, in any process.
* ``fact_citation`` — bridge: one guideline citation of one decision.
* ``dim_letter``, ``dim_reviewer`` (a qualification profile: reviewers are
  anonymous), ``dim_service``, ``dim_guideline``, ``dim_body_region``,
  ``dim_date`` (key ``yyyymmdd``).
* The conformed dimensions (revision 0004), the names the DWC and the
  guidelines' publishers use, however a letter spells them:
  ``dim_guideline`` maps each spelling to ``dim_guideline_document`` (one
  canonical document and edition); ``dim_reviewer.board_specialties`` and the
  bridge ``bridge_reviewer_specialty`` map each specialty as written to a DWC
  board specialty; ``fact_decision`` carries the DWC's category and
  subcategory and the drug (``dim_drug``, generic and class; brand, strength
  and dose form as written on the fact); ``fact_diagnosis`` holds each
  diagnosis of a letter as a row, pointing at ``dim_condition``.
* ``etl_load_run``, ``etl_quarantine`` — bookkeeping of the loads;
  ``etl_source_file`` — each source file as last read (path, size, mtime,
  sha256), so a re-run skips an unchanged file after a ``stat``, unread.

Keys that grow with the letters are not declared (revisions 0003 and 0008):
DuckDB keeps a declared key's ART index in memory — and, once it has been
written to the file, reads it back a node at a time as inserts probe it, a
cache it neither counts nor caps — so a long load's writer grew with every
letter, and the fact tables' indexes alone held ~330 MiB at a million
letters.  The facts, ``dim_letter``, ``etl_source_file``, ``etl_pdf_text`` and
the dimensions with a row per new spelling (``dim_service``,
``dim_reviewer``, ``dim_guideline``, ``dim_condition``) mark their key with
``info=KEY`` instead, and the load keeps it unique: a letter's rows are
deleted before they are written again, one letter identity at a time per
transaction (a decision's key is its letter's identity and ordinal); a file's
and a PDF text's row is deleted before it is written again; a dimension row
is inserted only when no row has its key (an anti-join).  ``imr-etl check``
asserts every such key (``*_key_unique``).  On PostgreSQL, whose indexes live
on disk, these tables keep the primary key revision 0001 declared
(:mod:`imr_etl.dialect`).  The small tables (runs, quarantine, dates, body
regions, drugs, guideline documents) keep theirs.

``agg_guideline_document`` is an aggregate the load keeps up to date (it adds
the contribution of each letter it writes and subtracts that of each letter
it replaces), so the guideline views read a few thousand rows instead of
every citation; ``imr-etl check`` asserts it equals its recomputation.  It is
grouped by canonical document (``guideline_id``, revision 0004), so when a new
release maps a spelling to another document the load recomputes it
(:mod:`imr_etl.conformed`).

Relationships (``fact_decision.letter_key`` → ``dim_letter.letter_key`` …) are
documented here, not declared as FOREIGN KEYs: DuckDB refuses to delete and
re-insert a referenced row within one transaction, which is exactly how a
changed letter replaces its rows.  Dates and timestamps are UTC.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Double, Integer, LargeBinary,
                        MetaData, SmallInteger, String, Table)

metadata = MetaData()

# A key the warehouse keeps unique without declaring it (see the module's
# docstring): ``Column(..., info=KEY)``.  key_columns() finds both kinds.
KEY = {"key": True}


def key_columns(table: Table) -> list[str]:
    """The columns of ``table``'s key, declared (PRIMARY KEY) or kept by the load."""
    return [c.name for c in table.columns if c.primary_key or c.info.get("key")]


# Each table's ``info`` and each column's ``doc`` are the data dictionary
# (``imr-etl docs``, docs/dictionary/): write them for the analyst.  ``doc``
# is documentation only; it is not a SQL comment, so it needs no migration.

# ------------------------------------------------------------------ bookkeeping

etl_load_run = Table(
    "etl_load_run", metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=False, doc="the run: 1, 2, … in order of starting"),
    Column("started_at", DateTime, nullable=False, doc="start (UTC)"),
    Column("finished_at", DateTime, doc="end (UTC; NULL while running, or if the process died)"),
    Column("status", String, nullable=False, doc="running, succeeded, failed or aborted (the process died mid-run)"),
    Column("paths", String, doc="what the run was asked to load, '; '-separated"),
    Column("letters_seen", Integer, nullable=False, doc="letter files found"),
    Column("letters_new", Integer, nullable=False, doc="loaded for the first time"),
    Column("letters_updated", Integer, nullable=False, doc="changed since their last load: their rows were replaced"),
    Column("letters_unchanged", Integer, nullable=False, doc="same content as already loaded: skipped"),
    Column("letters_quarantined", Integer, nullable=False, doc="sent to etl_quarantine"),
    Column("decisions_written", Integer, nullable=False, doc="fact_decision rows written"),
    Column("seconds", Double, doc="wall time"),
    Column("imr_etl_version", String, doc="the imr-etl version that ran"),
    Column("message", String, doc="why the run failed or was aborted"),
    Column("decisions_unclassified", Integer,
           doc="of decisions_written, how many the DWC's taxonomy leaves 'Unclassified' (dwc_category): "
               "the vocabulary's gaps (NULL: a run before revision 0004)"),
    Column("vocabulary_sha256", String,
           doc="the parser fingerprint the run derived letters and mapped spellings with (imr_etl.lineage); "
               "a run whose fingerprint differs from the last run's first re-maps the conformed dimensions "
               "(NULL: before 0004)"),
    Column("letters_rederived", Integer,
           doc="unchanged files whose letters a new parser derived other rows for: their rows were replaced "
               "(NULL: a run before revision 0007)"),
    info={"grain": "one run of `imr-etl load`",
          "description": "Bookkeeping of the loads: when each ran, how it ended, what it did (view: v_load_runs)."},
)

etl_quarantine = Table(
    "etl_quarantine", metadata,
    Column("source_path", String, primary_key=True, doc="the file"),
    Column("sha256", String, primary_key=True, doc="hex digest of the file's bytes"),
    Column("run_id", Integer, nullable=False, doc="the latest run that tried it (etl_load_run)"),
    Column("quarantined_at", DateTime, nullable=False, doc="when that run quarantined it (UTC)"),
    Column("stage", String, nullable=False, doc="read, parse or load"),
    Column("reason", String, nullable=False, doc="what went wrong, in one line"),
    Column("line_number", Integer, doc="line of the file where parsing failed (NULL: not a parse error)"),
    Column("column_number", Integer, doc="column of that line"),
    Column("expected", String, doc="what the grammar expected there, '; '-separated"),
    Column("size_bytes", Integer, doc="the file's size"),
    Column("raw_text", String, doc="the file decoded as the parser decodes it"),
    Column("raw_bytes", LargeBinary, doc="the file exactly as read: nothing is lost"),
    info={"grain": "one file version (source_path, sha256) that failed to read, parse or load",
          "description": "Letters that could not be loaded, kept whole with the reason (view: v_quarantine). "
                         "A later successful load of the path removes its rows."},
)

etl_source_file = Table(
    "etl_source_file", metadata,
    Column("source_path", String, nullable=False, info=KEY, doc="the file, resolved, as the load found it"),
    Column("size_bytes", BigInteger, doc="size as last read (NULL: not known, recorded before revision 0002)"),
    Column("mtime_ns", BigInteger, doc="modification time as last read (NULL: too recent to trust, or not known)"),
    Column("sha256", String, nullable=False, doc="hex digest of the bytes last read"),
    Column("run_id", Integer, nullable=False, doc="the run that last read it (etl_load_run)"),
    Column("parser_fingerprint", String,
           doc="the parser of the run that last read it: a file of another fingerprint is re-derived "
               "even when unchanged (NULL: before revision 0007)"),
    info={"grain": "one source file, as a load last read it",
          "description": "Lets a re-run skip an unchanged file after a stat, without reading it."},
)

etl_pdf_text = Table(
    "etl_pdf_text", metadata,
    Column("sha256", String, nullable=False, info=KEY, doc="hex digest of the PDF's bytes"),
    Column("extractor", String, nullable=False,
           doc="what extracted it: pypdfium2's version and imr-etl's extraction code (imr_etl.lineage)"),
    Column("text_bytes", Integer, nullable=False, doc="size of the text"),
    Column("text_zlib", LargeBinary, nullable=False, doc="the text PDFium extracted, zlib-compressed"),
    info={"grain": "one PDF's content (sha256) that loaded",
          "description": "The text extracted from each loaded PDF: re-deriving a PDF letter after an upgrade "
                         "reads it here instead of running PDFium again."},
)

# ------------------------------------------------------------------- dimensions

dim_date = Table(
    "dim_date", metadata,
    Column("date_key", Integer, primary_key=True, autoincrement=False, doc="yyyymmdd"),
    Column("date", Date, nullable=False, doc="the day"),
    Column("year", SmallInteger, nullable=False, doc="calendar year"),
    Column("quarter", SmallInteger, nullable=False, doc="1-4"),
    Column("month", SmallInteger, nullable=False, doc="1-12"),
    Column("month_name", String, nullable=False, doc="January, February, …"),
    Column("year_month", String, nullable=False, doc="'2016-12'"),
    Column("day_of_month", SmallInteger, nullable=False, doc="1-31"),
    Column("day_of_week", SmallInteger, nullable=False, doc="ISO: 1 = Monday … 7 = Sunday"),
    Column("day_name", String, nullable=False, doc="Monday, Tuesday, …"),
    Column("is_weekend", Boolean, nullable=False, doc="Saturday or Sunday"),
    info={"grain": "one day", "description": "Calendar of the days letters name (decision, UR denial and injury dates)."},
)

dim_body_region = Table(
    "dim_body_region", metadata,
    Column("body_region_key", BigInteger, primary_key=True, autoincrement=False, doc="hash of the region"),
    Column("body_region", String, nullable=False, doc="key of vocab/regions.csv: lumbar_spine, knee, …"),
    Column("label", String, nullable=False, doc="the region's label"),
    Column("region_group", String, nullable=False, doc="spine, upper_extremity, lower_extremity, …"),
    info={"grain": "one body region of vocab/regions.csv",
          "description": "Body regions a disputed service names (\"MRI of the lumbar spine\")."},
)

dim_service = Table(
    "dim_service", metadata,
    Column("service_key", BigInteger, nullable=False, info=KEY, doc="hash of category, subcategory and label"),
    Column("service_label", String, nullable=False, doc="the service text normalized for grouping"),
    Column("treatment_category", String, nullable=False, doc="taxonomy category (vocab/taxonomy.csv)"),
    Column("treatment_subcategory", String, nullable=False, doc="taxonomy subcategory"),
    Column("category_label", String, nullable=False, doc="the category's label"),
    Column("subcategory_label", String, nullable=False, doc="the subcategory's label"),
    info={"grain": "one normalized service within a treatment subcategory",
          "description": "What was disputed, placed in the treatment taxonomy (vocab/taxonomy.csv)."},
)

dim_reviewer = Table(
    "dim_reviewer", metadata,
    Column("reviewer_key", BigInteger, nullable=False, info=KEY, doc="hash of the profile"),
    Column("specialties", String, nullable=False, doc="specialties, '; '-separated, as the letter lists them"),
    Column("subspecialties", String, nullable=False, doc="subspecialties, '; '-separated"),
    Column("board_certified", Boolean, doc="board certified (NULL: not stated)"),
    Column("licensure_states", String, nullable=False, doc="states of licensure, 'TX, NY, CA'"),
    Column("licensed_in_california", Boolean, nullable=False, doc="licensed to practice in California"),
    Column("primary_specialty", String, doc="the first specialty listed"),
    Column("specialty_count", SmallInteger, nullable=False, doc="how many specialties are listed"),
    Column("board_specialties", String, nullable=False,
           doc="the DWC board specialties the specialties name, '; '-separated, in letter order, each once "
               "('': none stated, or none that maps; imr_etl.classify.board_specialties; "
               "bridge_reviewer_specialty shows each mapping)"),
    info={"grain": "one qualification profile (reviewers are anonymous)",
          "description": "The expert reviewer's qualifications as the letter states them, and the DWC "
                         "board specialties they name."},
)

bridge_reviewer_specialty = Table(
    "bridge_reviewer_specialty", metadata,
    Column("reviewer_key", BigInteger, nullable=False, doc="→ dim_reviewer"),
    Column("position", SmallInteger, nullable=False,
           doc="the specialty's place in dim_reviewer.specialties (1, 2, …)"),
    Column("specialty", String, nullable=False, doc="the specialty as the letter writes it"),
    Column("board_specialty", String,
           doc="the DWC board specialty it names (NULL: none — a gap in the vocabulary, or not a specialty "
               "the DWC lists); a specialty naming two has a row for each"),
    info={"grain": "one specialty as written of one reviewer profile, with the DWC board specialty it names",
          "description": "The audit trail of dim_reviewer.board_specialties: how each specialty a letter "
                         "states was mapped. Written with its reviewer profile; re-mapped when imr-etl's "
                         "vocabularies change."},
)

dim_guideline = Table(
    "dim_guideline", metadata,
    Column("guideline_key", BigInteger, nullable=False, info=KEY, doc="hash of source, document and topic"),
    Column("source", String, nullable=False, doc="MTUS, ODG, ACOEM, AMA or OTHER, as the letter names it"),
    Column("document", String, doc="the guideline document as the letter names it (vocab/guidelines.csv)"),
    Column("topic", String, doc="what in the document, as written (NULL: none given)"),
    Column("guideline_id", String, nullable=False,
           doc="→ dim_guideline_document: the canonical document and edition this spelling names "
               "(imr_etl.guidelines.canonical), 'mtus/chronic-pain/2016'"),
    Column("topic_id", String, doc="the canonical topic within it (NULL: none given)"),
    info={"grain": "one (source, document, topic) as letters spell it",
          "description": "The guidelines decisions cite, each spelling mapped to its canonical document "
                         "and topic: the audit trail of the guideline views' grouping. Re-mapped when "
                         "imr-etl's vocabularies change."},
)

dim_guideline_document = Table(
    "dim_guideline_document", metadata,
    Column("guideline_id", String, primary_key=True, doc="the canonical document and edition"),
    Column("source", String, nullable=False, doc="its publisher's name: MTUS, ODG, ACOEM, AMA or OTHER"),
    Column("document", String, doc="its name"),
    Column("edition", String, doc="its edition or year (NULL: one edition, or not known)"),
    Column("chapter", String, doc="the chapter, for a document that is a chapter of a guideline"),
    Column("acoem_chapter", SmallInteger, doc="the number of the ACOEM chapter the MTUS adopted it from (NULL: none)"),
    Column("label", String, nullable=False, doc="how to show it: source, name and edition"),
    info={"grain": "one canonical guideline document and edition that some spelling in dim_guideline names",
          "description": "From imr_etl.guidelines.documents(); a document the catalogue lacks (another "
                         "source's page, a new document) is named by the alphabetically first of its "
                         "spellings, so the name does not depend on the order letters were loaded in, "
                         "with no edition or chapter."},
)

dim_drug = Table(
    "dim_drug", metadata,
    Column("drug_key", BigInteger, primary_key=True, autoincrement=False, doc="hash of generic and class"),
    Column("generic", String, doc="the generic ingredient(s), lower case, '/'-joined: "
                                  "'hydrocodone/acetaminophen' (NULL: the item names none)"),
    Column("drug_class", String, doc="the DWC drug class: Opioids, NSAID, Muscle Relaxant, …"),
    info={"grain": "one (generic, DWC drug class)",
          "description": "The drugs Pharmaceuticals decisions name (imr_etl.drugs, docs/dwc-taxonomy.md); "
                         "brand, strength and dose form are on fact_decision, as written."},
)

dim_condition = Table(
    "dim_condition", metadata,
    Column("condition_key", BigInteger, nullable=False, info=KEY, doc="hash of condition and body region"),
    Column("condition", String, nullable=False, doc="the diagnosis normalized: one spelling per condition"),
    Column("body_region", String, doc="the body region it names (vocab/regions.csv; NULL: none)"),
    info={"grain": "one normalized condition (with its body region)",
          "description": "What fact_diagnosis's diagnoses mean, however written (imr_etl.conditions)."},
)

dim_letter = Table(
    "dim_letter", metadata,
    Column("letter_key", BigInteger, nullable=False, info=KEY, doc="hash of letter_id"),
    Column("letter_id", String, nullable=False, doc="the letter: its case number, else its source path"),
    Column("case_number", String, doc="IMR case number, CM16-0219557 (NULL: letter without a header)"),
    Column("source_path", String, nullable=False, doc="the file the letter was loaded from"),
    Column("sha256", String, nullable=False, doc="hex digest of the file's bytes"),
    Column("format", String, nullable=False, doc="text or pdf"),
    Column("date_assigned", Date, doc="header: Date Assigned"),
    Column("decision_date", Date, doc="header: Decision Date"),
    Column("ur_denial_date", Date, doc="header: UR Denial Date"),
    Column("application_received", Date, doc="header: Application Received"),
    Column("header_injury_date", Date, doc="header: Date of Injury"),
    Column("priority", String, doc="header: Standard or Expedited"),
    Column("header_other", String, doc="other header fields, a JSON object"),
    Column("patient_age", SmallInteger, doc="age in years"),
    Column("age_band", String, doc="under 30, 30-39, …, 70 and over"),
    Column("patient_sex", String, doc="male, female or NULL"),
    Column("injury_date", Date, doc="date of injury: the case summary's, else the header's"),
    Column("diagnoses", String, doc="diagnoses named in the case summary, '; '-separated"),
    Column("diagnosis_count", SmallInteger, nullable=False, doc="how many diagnoses (rows in fact_diagnosis)"),
    Column("decision_count", SmallInteger, nullable=False, doc="disputed items decided"),
    Column("overturned_count", SmallInteger, nullable=False, doc="of those, overturned (kept since revision 0003)"),
    Column("reviewer_key", BigInteger, nullable=False, doc="→ dim_reviewer"),
    Column("load_run_id", Integer, nullable=False, doc="→ etl_load_run: the run that last wrote the letter"),
    Column("loaded_at", DateTime, nullable=False, doc="when it was written (UTC)"),
    Column("parser_fingerprint", String,
           doc="the parser that derived its rows: digest of imr-etl's version, grammars, vocabularies and "
               "record code (imr_etl.lineage; NULL: loaded before revision 0007)"),
    Column("record_sha256", String,
           doc="digest of the letter's rows but when and by which run they were written: a re-derivation "
               "that gives the same digest rewrites nothing (NULL: before revision 0007)"),
    info={"grain": "one letter", "description": "Each Final Determination Letter: header, patient, reviewer."},
)

# ------------------------------------------------------------------------ facts

fact_decision = Table(
    "fact_decision", metadata,
    Column("decision_key", BigInteger, nullable=False, info=KEY,
           doc="hash of letter_id and ordinal; unique by construction (imr-etl check asserts it)"),
    Column("letter_key", BigInteger, nullable=False, doc="→ dim_letter"),
    Column("ordinal", SmallInteger, nullable=False, doc="1, 2, … the item's place in the letter"),
    Column("service_key", BigInteger, nullable=False, doc="→ dim_service"),
    Column("reviewer_key", BigInteger, nullable=False, doc="→ dim_reviewer"),
    Column("body_region_key", BigInteger, doc="→ dim_body_region (NULL: none named)"),
    Column("decision_date_key", Integer, doc="→ dim_date: the letter's decision date"),
    Column("ur_denial_date_key", Integer, doc="→ dim_date: the UR denial date"),
    Column("injury_date_key", Integer, doc="→ dim_date: the date of injury"),
    Column("decision", String, nullable=False, doc="upheld or overturned"),
    Column("overturned", SmallInteger, nullable=False, doc="1 if overturned, else 0: sum it, average it"),
    Column("quantity", Double, doc="amount requested, in quantity_unit (NULL: none stated)"),
    Column("quantity_unit", String, doc="visits, sessions, units, refills, days, months (NULL: none)"),
    Column("service", String, nullable=False, doc="the disputed service as written in the letter"),
    Column("rationale", String, doc="the reviewer's decision rationale"),
    Column("start_line", Integer, doc="first line of the item in the source file (1-based)"),
    Column("end_line", Integer, doc="last line of the item in the source file"),
    Column("citation_count", SmallInteger, nullable=False, doc="guideline citations of the decision"),
    # The decision's citations summed up (revision 0003), so v_decisions need not read fact_citation.
    Column("claims_administrator_citations", SmallInteger, nullable=False,
           doc="citations by the claims administrator"),
    Column("reviewer_citations", SmallInteger, nullable=False, doc="citations by the expert reviewer"),
    Column("claims_administrator_sources", String,
           doc="distinct sources the claims administrator cites, sorted: 'MTUS, ODG' (NULL: none)"),
    Column("reviewer_sources", String, doc="distinct sources the reviewer cites, sorted (NULL: none)"),
    # The DWC's classification and the drug (revision 0004).
    Column("dwc_category", String, nullable=False,
           doc="the DWC's treatment request category (docs/dwc-taxonomy.md): Pharmaceuticals, Surgery, … "
               "'Unclassified' when nothing fits"),
    Column("dwc_subcategory", String, doc="the DWC's subcategory (NULL: the category has none)"),
    Column("drug_key", BigInteger, doc="→ dim_drug (NULL: not a drug the vocabulary knows)"),
    Column("drug_brand", String, doc="the drug's brand as the letter gives it, 'Norco' (NULL: none)"),
    Column("drug_strength", String, doc="its strength as written, '10/325mg' (NULL: none)"),
    Column("drug_dose_form", String, doc="tablet, capsule, cream, patch, … (NULL: not stated)"),
    # Revision 0005: a partial authorization's parts, and the parties' agreement on guidelines.
    Column("partial_authorization", Boolean,
           doc="the heading states what the claims administrator authorized of the request "
               "(NULL: written before revision 0005, not known)"),
    Column("original_request", String, doc="a partial authorization's original request as written (NULL: none)"),
    Column("original_quantity", Double, doc="its quantity (NULL: none stated)"),
    Column("authorized", String, doc="what the claims administrator authorized of it, as written (NULL: none)"),
    Column("authorized_quantity", Double, doc="its quantity (NULL: none stated)"),
    Column("shared_guidelines", SmallInteger,
           doc="canonical guideline documents both parties cite for the decision (v_citer_agreement)"),
    # Revision 0006.
    Column("body_region_source", String,
           doc="where body_region_key comes from: service (the service names it), guideline (the cited "
               "guidelines' chapters agree on it) or NULL (no region)"),
    info={"grain": "one disputed item of one letter",
          "description": "Each decision: Upheld (the denial stands) or Overturned (the treatment is necessary)."},
)

fact_citation = Table(
    "fact_citation", metadata,
    Column("decision_key", BigInteger, nullable=False, info=KEY,
           doc="→ fact_decision; with position unique by construction (imr-etl check asserts it)"),
    Column("position", SmallInteger, nullable=False, info=KEY, doc="1, 2, … in letter order"),
    Column("letter_key", BigInteger, nullable=False, doc="→ dim_letter (so a letter's rows are replaced set-wise)"),
    Column("guideline_key", BigInteger, nullable=False, doc="→ dim_guideline"),
    Column("cited_by", String, nullable=False, doc="claims_administrator or reviewer"),
    Column("pages", String, doc="pages as written (NULL: none given)"),
    Column("section", String, doc="a regulation section such as 9792.24.1 (NULL: none)"),
    info={"grain": "one guideline citation of one decision",
          "description": "Bridge from decisions to the guidelines each party cited (view: stg_citations)."},
)

fact_diagnosis = Table(
    "fact_diagnosis", metadata,
    Column("letter_key", BigInteger, nullable=False, info=KEY,
           doc="→ dim_letter; with position unique by construction (imr-etl check asserts it)"),
    Column("position", SmallInteger, nullable=False, info=KEY, doc="1, 2, … in the letter's order"),
    Column("condition_key", BigInteger, nullable=False, doc="→ dim_condition"),
    Column("diagnosis", String, nullable=False, doc="the diagnosis as the letter writes it"),
    info={"grain": "one diagnosis of one letter",
          "description": "The diagnoses of dim_letter.diagnoses as rows, each normalized to a condition "
                         "(imr_etl.conditions); replaced with its letter."},
)

# ------------------------------------------------------------------- aggregates

agg_guideline_document = Table(
    "agg_guideline_document", metadata,
    Column("cited_by", String, nullable=False, doc="claims_administrator or reviewer"),
    Column("guideline_id", String, nullable=False, doc="→ dim_guideline_document: the canonical document"),
    Column("source", String, nullable=False, doc="its source (dim_guideline_document.source)"),
    Column("document", String, doc="its name (dim_guideline_document.document; NULL: none named)"),
    Column("citations", BigInteger, nullable=False, doc="citations of the document by cited_by"),
    Column("decisions", BigInteger, nullable=False, doc="decisions whose cited_by cites it"),
    Column("overturned", BigInteger, nullable=False, doc="of those, overturned"),
    Column("letters", BigInteger, nullable=False, doc="letters with such a decision"),
    Column("both_cited", BigInteger, nullable=False,
           doc="of those decisions, how many the other party cites the same canonical document for too, "
               "however each spells it"),
    info={"grain": "one (cited_by, guideline_id): a canonical document some decision cites",
          "description": "Kept by every load (imr_etl.aggregates): what v_guideline_citations and "
                         "v_overturn_rate_by_guideline would otherwise compute from every citation."},
)

# Write order: dimensions before the facts that point at them.  DIMENSIONS are
# keyed by their first column and written once per key; the conformed tables
# that depend on them (dim_guideline_document, bridge_reviewer_specialty) the
# writer keeps itself (imr_etl.writer, imr_etl.conformed).
DIMENSIONS = (dim_date, dim_body_region, dim_service, dim_reviewer, dim_guideline, dim_drug, dim_condition)
LETTER_TABLES = (dim_letter, fact_decision, fact_citation, fact_diagnosis)
STAR = (*DIMENSIONS, dim_guideline_document, bridge_reviewer_specialty, *LETTER_TABLES)
