"""The coach: routines as data, the routine step machine, the session recap (pure stdlib)."""
