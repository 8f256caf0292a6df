"""LeanCloud's official SDKs against the emulator and the compat endpoints: scripts, harness."""
