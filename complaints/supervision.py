"""催办/督办单, the time-limit watch and the escalation ladder."""
