// Training/Records.swift — the record types of the files a run writes (RunSummary, MetricsRow,
// ModalityMode, …) live in RunRecords, below Training; re-exported so that `import Training`
// keeps seeing them where they are part of Training's API (Trainer.run returns a RunSummary).
@_exported import RunRecords
