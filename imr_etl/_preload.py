"""Imported once by the parse workers' fork server (see ``imr_etl.workers``):
builds the grammar and the vocabularies there, so every worker forked from
it starts with them ready."""

from imr_etl.workers import warm

warm()
