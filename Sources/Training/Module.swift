// Training layer: see README.md (Architecture).
