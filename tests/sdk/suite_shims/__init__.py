"""Files laid beside LeanCloud's own SDK tests before they run (set-up only, no test changed)."""
