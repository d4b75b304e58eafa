"""Notifications kept for each person, and sent live to their screens."""
