"""Who read or changed which patient's data, and when."""
