"""Imported once by the parse workers' fork server (see ``imr_etl.load``):
builds the grammar and the vocabularies there, so every worker forked from
it starts with them ready."""

from imr_etl.load import warm

warm()
