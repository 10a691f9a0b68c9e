// InfoMax layer: see README.md (Architecture).
