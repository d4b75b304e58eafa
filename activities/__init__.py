"""Activity planning: the coordinator's calendar and sign-ups that never overbook."""
