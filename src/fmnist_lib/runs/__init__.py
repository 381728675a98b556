"""Where a run is made and kept: the results cache, runs per seed, and the sweep that trains them all."""
