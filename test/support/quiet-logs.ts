// The stages log a JSON line per step; in tests only warnings and errors are worth reading (LOG_LEVEL=info for all).
process.env.LOG_LEVEL ??= "warn";
