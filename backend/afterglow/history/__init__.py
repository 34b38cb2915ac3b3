"""Importing a patient's earlier records (check-ins, infusions, events) when a clinic moves to Afterglow."""
