"""Where data enters: the four IDX files found and verified, mini-batches, seeded corruptions."""
