"""Optional comparison engines: the same IR interpreted in AD frameworks
(``autograd``, ``jax``, ``jax-jit``, ``torch``).  Each registers even when its
framework is not installed, and then reports itself unavailable."""
