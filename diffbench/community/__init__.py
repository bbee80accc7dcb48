"""The AD community's benchmark problems (ADBench, GradBench) in diffbench.

:mod:`.data` reads ADBench's input files and generates inputs the way the
published generators do; :mod:`.problems` writes each problem in the
expression language as a catalogue entry.  See docs/community.md.
"""
