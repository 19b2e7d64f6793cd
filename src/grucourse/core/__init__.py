"""core: the numpy references of the course: GRU, minGRU and their scans, Jacobians, hand-set units.

Every Keras and browser implementation in the course is tested against these.
Imports: foundation only.
"""
