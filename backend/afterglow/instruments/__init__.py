"""The instrument registry (PHQ-9, GAD-7, mood, pain, side effects) as data, and scoring."""
