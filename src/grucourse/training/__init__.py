"""training: the one packing engine (S seeds in one model), packed trainers, initialisers,
gradient tools.

Imports: foundation, core, layers, data, measure.
"""
