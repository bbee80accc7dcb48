"""Scaling experiments: worker-count sweeps (strong and weak) and the fits
of time against problem size."""
