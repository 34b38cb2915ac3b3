"""Patient check-ins: daily mood and pain, PHQ-9, GAD-7 and the after-infusion side-effect check."""
