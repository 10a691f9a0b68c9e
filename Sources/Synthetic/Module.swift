// Synthetic layer: see README.md (Architecture).
