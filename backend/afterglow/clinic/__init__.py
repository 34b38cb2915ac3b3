"""The clinician workspace's read models: one patient's whole timeline, and the clinic's outcomes."""
