"""Exports: a patient's or the clinic's records as CSV, FHIR Bulk Data export jobs, and the API
tokens integrations call them with."""
