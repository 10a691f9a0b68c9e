// Evaluation layer: see README.md (Architecture).
