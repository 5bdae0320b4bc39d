"""The Grammar Bot's Discord side of a check: the result embed and its buttons."""
