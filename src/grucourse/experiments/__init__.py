"""experiments: one module per chapter, named after the chapter's slug; never imports another
experiments module."""
