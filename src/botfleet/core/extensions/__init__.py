"""Extensions shared by every bot of the fleet."""
