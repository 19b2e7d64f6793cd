"""data: generated tasks, bundled series, audio, grammar, text corpus, streams and batching.
Nothing downloads.

Imports: foundation only.
"""
