"""Chart series for one patient: scores over time with infusions marked, sized for a phone."""
