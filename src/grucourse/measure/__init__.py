"""measure: paired statistics over seeds and interleaved timing. Imports: foundation only."""
