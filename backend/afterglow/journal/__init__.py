"""The integration journal: the patient's own words in the days after a treatment."""
