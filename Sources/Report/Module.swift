// Report layer: see README.md (Architecture).
