"""layers: Keras layers and model builders (recurrent kinds, minGRU, encoder-decoders,
language models).

Imports: foundation, core, data (token constants).
"""
