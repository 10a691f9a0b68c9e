// Tests of RunRecords, the one definition of each file format: records read from files the
// previous build (before the records moved to RunRecords) wrote, written again and compared
// byte for byte; enums refuse values outside their vocabulary; the atomic writer.
import Foundation
import RunRecords
import XCTest

final class RunRecordsTests: XCTestCase {
    // Written by the reference build (main at b2db4c4): `infomax train --steps 30 --set log_every=10`,
    // `infomax sweep --grid seed=1,2 --set steps=30` and `infomax bench --d 256 --width 64 --batch 512` on 2 ranks.
    // The metrics lines carry the columns added since (text_noise_memorization and the raw inner
    // products) as empty cells.
    static let summaryText = #"""
        {
          "communication_seconds" : 1.2669941359999999,
          "compute_seconds" : 0.5511269640000012,
          "diagnostics_samples" : 100,
          "final_loss" : 3.3390910625457764,
          "logging_seconds" : 0.179284721,
          "loss" : "infonce",
          "mode" : "multi-modal",
          "model" : "signal-noise",
          "name" : "default",
          "noise_memorization" : 1.1704772984981537,
          "noise_memorization_se" : 0,
          "ranks" : 2,
          "seconds_per_step" : 0.0692621051,
          "seed" : 1,
          "signal_learning" : 0.17132481932640076,
          "status" : "completed",
          "steps_completed" : 30,
          "steps_planned" : 30,
          "test_accuracy" : 0.635,
          "train_accuracy" : 0.785,
          "wall_seconds" : 2.077862261
        }
        """#
    static let sweepText = #"""
        {"parameters":["seed","mode"],"points":[{"name":"seed-1_mode-multi-modal","values":{"seed":1,"mode":"multi-modal"},"folder":"points/seed-1_mode-multi-modal"},{"name":"seed-1_mode-single-modal","values":{"seed":1,"mode":"single-modal"},"folder":"points/seed-1_mode-single-modal"},{"name":"seed-2_mode-multi-modal","values":{"seed":2,"mode":"multi-modal"},"folder":"points/seed-2_mode-multi-modal"},{"name":"seed-2_mode-single-modal","values":{"seed":2,"mode":"single-modal"},"folder":"points/seed-2_mode-single-modal"}]}
        """#
    static let markerText = #"""
        {"tool":"infomax","kind":"run","version":"1","created":"2026-11-28T03:06:25Z"}
        """#
    static let jsonLines = [
        #"""
        {"step":0,"epoch":0,"wall_seconds":0.051794073,"compute_seconds":0,"communication_seconds":0,"loss":3.938352584838867,"learning_rate":0.009999999776482582,"gradient_norm":0.8700749278068542,"signal_learning":0.07553713023662567,"noise_memorization":0.9884498625993728,"text_signal_learning":0.29029256105422974,"condition_number":null,"subspace_alignment":null,"train_accuracy":0.755,"test_accuracy":0.505,"noise_memorization_se":0,"diagnostics_samples":100,"text_noise_memorization":null,"signal_inner_product":null,"noise_inner_product":null,"text_signal_inner_product":null,"sigmoid_scale":null,"sigmoid_bias":null,"temperature":null}
        """#,
        #"""
        {"step":10,"epoch":10,"wall_seconds":0.829629462,"compute_seconds":0.34793406300000046,"communication_seconds":0.32003607899999986,"loss":3.779902935028076,"learning_rate":0.009999999776482582,"gradient_norm":0.9243720173835754,"signal_learning":0.09487637132406235,"noise_memorization":1.0028119665384292,"text_signal_learning":0.3122650384902954,"condition_number":null,"subspace_alignment":null,"train_accuracy":null,"test_accuracy":null,"noise_memorization_se":0,"diagnostics_samples":100,"text_noise_memorization":null,"signal_inner_product":null,"noise_inner_product":null,"text_signal_inner_product":null,"sigmoid_scale":null,"sigmoid_bias":null,"temperature":null}
        """#,
    ]
    static let metricsCSV = #"""
        step,epoch,wall_seconds,compute_seconds,communication_seconds,loss,learning_rate,gradient_norm,signal_learning,noise_memorization,text_signal_learning,condition_number,subspace_alignment,train_accuracy,test_accuracy,noise_memorization_se,diagnostics_samples,text_noise_memorization,signal_inner_product,noise_inner_product,text_signal_inner_product,sigmoid_scale,sigmoid_bias,temperature
        0,0,0.051794073,0.0,0.0,3.938352584838867,0.009999999776482582,0.8700749278068542,0.07553713023662567,0.9884498625993728,0.29029256105422974,,,0.755,0.505,0.0,100.0,,,,,,,
        10,10,0.829629462,0.34793406300000046,0.32003607899999986,3.779902935028076,0.009999999776482582,0.9243720173835754,0.09487637132406235,1.0028119665384292,0.3122650384902954,,,,,0.0,100.0,,,,,,,
        """#
    static let benchText = #"""
        {
          "allocations_per_step" : 0.5,
          "batch_per_rank" : [
            256,
            256
          ],
          "bytes_per_step_per_rank" : 399400,
          "d" : 256,
          "estimated_peak_bytes" : 90331648,
          "estimated_peak_bytes_per_rank" : [
            90331648,
            90331648
          ],
          "exchange" : "allgather",
          "fraction_of_peak" : 0.04616948276087342,
          "gflop_per_step" : 0.234842624,
          "gflops_per_rank" : 1.178353689896787,
          "gflops_total" : 2.356707379793574,
          "global_batch" : 512,
          "loss" : "infonce",
          "mode" : "multi-modal",
          "model" : "signal-noise",
          "openblas_threads" : 1,
          "patches" : 2,
          "peak_estimate_ratio" : 0.9131557699474142,
          "peak_rss_bytes" : 98922496,
          "per_rank" : [
            {
              "allocations_per_step" : 0,
              "batch" : 256,
              "bytes_per_step" : 399400,
              "gflop_per_step" : 0.117356032,
              "host" : "vm",
              "peak_rss_bytes" : 98922496,
              "phases" : {
                "allreduce" : 0.019543963500000316,
                "backward" : 0.0010981760000001728,
                "data" : 2.0790000005987963e-06,
                "forward" : 0.0009785464999989557,
                "loss_communication" : 0.06957767950000182,
                "loss_compute" : 0.0027526149999985705,
                "loss_overlapped" : 0,
                "optimizer" : 7.606799999937408e-05
              },
              "rank" : 0,
              "seconds_per_step" : 0.09403852499999932,
              "sgemm_peak_gflops" : 16.314761514228007,
              "unfused_gflop_per_step" : 0.201326592
            },
            {
              "allocations_per_step" : 0.5,
              "batch" : 256,
              "bytes_per_step" : 399400,
              "gflop_per_step" : 0.117486592,
              "host" : "vm",
              "peak_rss_bytes" : 93249536,
              "phases" : {
                "allreduce" : 0.025404041500000307,
                "backward" : 0.0010620029999999225,
                "data" : 9.770000000131063e-07,
                "forward" : 0.0007899525000003571,
                "loss_communication" : 0.054447223499999975,
                "loss_compute" : 0.015869833,
                "loss_overlapped" : 0,
                "optimizer" : 5.642599999955422e-05
              },
              "rank" : 1,
              "seconds_per_step" : 0.09765288899999991,
              "sgemm_peak_gflops" : 15.31723462063287,
              "unfused_gflop_per_step" : 0.201326592
            }
          ],
          "phases" : {
            "allreduce" : 0.025404041500000307,
            "backward" : 0.0010981760000001728,
            "data" : 2.0790000005987963e-06,
            "forward" : 0.0009785464999989557,
            "loss_communication" : 0.06957767950000182,
            "loss_compute" : 0.015869833,
            "loss_overlapped" : 0,
            "optimizer" : 7.606799999937408e-05
          },
          "ranks" : 2,
          "schema" : "infomax-bench\/1",
          "seconds_per_step" : 0.09964861399999947,
          "sgemm_peak_gflops" : 25.52234981708284,
          "sgemm_peak_gflops_all_ranks" : 15.815998067430439,
          "steps" : 2,
          "stop_gradient" : true,
          "symmetric" : true,
          "train_samples" : 512,
          "unfused_gflop_per_step" : 0.402653184,
          "useful_fraction_of_peak" : 0.0791606264682973,
          "useful_gflops_per_rank" : 2.020365200463311,
          "warmup" : 1,
          "width" : 64
        }

        """#

    var url: URL { URL(fileURLWithPath: "/tmp/records-test/file") }

    func testSummaryReadsAndWritesTodaysTextByteForByte() throws {
        let data = Data(Self.summaryText.utf8)
        let file = try SummaryFile.decode(data, url: url)
        let summary = try XCTUnwrap(file.run)
        XCTAssertEqual(summary.status, .completed)
        XCTAssertEqual(summary.mode, .multiModal)
        XCTAssertEqual(summary.model, .signalNoise)
        XCTAssertEqual(summary.diagnosticsSamples, 100)
        XCTAssertNil(summary.conditionNumber)
        XCTAssertEqual(try RecordCoding.text(summary), Self.summaryText)
    }

    func testTableFigureKeysAreTheKeysTheEncoderWrites() throws {
        var s = try XCTUnwrap(SummaryFile.decode(Data(Self.summaryText.utf8), url: url).run)
        s.conditionNumber = 12.5
        s.subspaceAlignment = 0.25
        s.singularValueKPlusOne = 0.5
        s.labelingError = 0.125
        s.imageBayesError = 0.0625
        let members = try SummaryFile.run(s).members()
        XCTAssertEqual(SweepIndex.csvFigures.count, 12)
        for (key, path) in RunSummary.tableFigures {
            let value = try XCTUnwrap(s[keyPath: path], key)
            XCTAssertEqual(members[key]?.doubleValue, value, key)
        }
        XCTAssertEqual(SweepIndex.csvFigureValues(nil), Array(repeating: nil, count: 12))
    }

    func testComparisonTableKeepsItsColumnsAndWritesEveryFigure() throws {
        XCTAssertEqual(
            ComparisonTable.header,
            [
                "mode", "final_loss", "train_accuracy", "test_accuracy", "signal_learning",
                "noise_memorization", "condition_number", "subspace_alignment", "seconds",
            ])
        let s = try XCTUnwrap(SummaryFile.decode(Data(Self.summaryText.utf8), url: url).run)
        let row = ComparisonTable.row(s)
        XCTAssertEqual(row.count, ComparisonTable.header.count)
        XCTAssertEqual(row.first, .text("multi-modal"))
        XCTAssertEqual(row[1], s.finalLoss.map(CSVField.number) ?? .empty)
        XCTAssertEqual(row[6], .empty)  // no condition number in this summary
        XCTAssertEqual(row.last, .number(s.wallSeconds))
    }

    func testSummaryRefusesAStatusOrModeOutsideTheVocabulary() throws {
        for (bad, key) in [
            ("\"status\" : \"completed\"", "\"status\" : \"done\""),
            ("\"mode\" : \"multi-modal\"", "\"mode\" : \"both\""),
        ] {
            let text = Self.summaryText.replacingOccurrences(of: bad, with: key)
            XCTAssertNotEqual(text, Self.summaryText)
            XCTAssertThrowsError(try SummaryFile.decode(Data(text.utf8), url: url)) { e in
                guard case RecordError.malformed(let u, let reason) = e else { return XCTFail("\(e)") }
                XCTAssertEqual(u, self.url)
                XCTAssertTrue(reason.contains("status") || reason.contains("mode"), reason)
            }
        }
    }

    func testFailedRunRoundTripsAndIsNotARunSummary() throws {
        let failed = FailedRun(mode: .singleModal, error: "the loss became nan at step 3")
        let text = try RecordCoding.text(failed)
        XCTAssertEqual(
            text,
            "{\n  \"error\" : \"the loss became nan at step 3\",\n  \"mode\" : \"single-modal\",\n  \"status\" : \"failed\"\n}"
        )
        let back = try SummaryFile.decode(Data(text.utf8), url: url)
        XCTAssertEqual(back, .failed(failed))
        XCTAssertNil(back.run)
        XCTAssertEqual(back.error, failed.error)
        XCTAssertEqual(try back.members()["status"]?.stringValue, "failed")
    }

    func testNonFiniteFiguresAreWrittenAsTextAndReadBack() throws {
        var s = try XCTUnwrap(SummaryFile.decode(Data(Self.summaryText.utf8), url: url).run)
        s.conditionNumber = .infinity
        s.finalLoss = .nan
        let text = try RecordCoding.text(s)
        XCTAssertTrue(
            text.contains("\"condition_number\" : \"inf\"") && text.contains("\"final_loss\" : \"nan\""), text)
        let back = try XCTUnwrap(SummaryFile.decode(Data(text.utf8), url: url).run)
        XCTAssertEqual(back.conditionNumber, .infinity)
        XCTAssertTrue(back.finalLoss?.isNaN ?? false)
    }

    func testSweepIndexReadsAndWritesTodaysTextByteForByte() throws {
        let index = try RecordCoding.decode(SweepIndex.self, from: Data(Self.sweepText.utf8), url: url, plain: true)
        XCTAssertEqual(index.parameters, ["seed", "mode"])
        XCTAssertEqual(index.points.count, 4)
        XCTAssertEqual(index.points[1].values, ["seed": 1, "mode": "single-modal"])
        XCTAssertEqual(index.points[1].folder, "points/seed-1_mode-single-modal")
        XCTAssertEqual(index.text, Self.sweepText)
        // Dotted config keys stay as written (no snake_case conversion of the values' keys).
        let dotted = SweepIndex(
            parameters: ["signal_noise.snr"],
            points: [SweepIndex.Point(name: "snr-0.1", values: ["signal_noise.snr": 0.1])])
        XCTAssertEqual(
            try RecordCoding.decode(SweepIndex.self, from: Data(dotted.text.utf8), url: url, plain: true), dotted)
    }

    func testGridTextBecomesTheSameJSONValueAsBefore() {
        XCTAssertEqual(JSONValue(gridText: "0.05"), .number(0.05))
        XCTAssertEqual(JSONValue(gridText: "01"), .number(1))
        XCTAssertEqual(JSONValue(gridText: "1e-3"), .number(0.001))
        XCTAssertEqual(JSONValue(gridText: "true"), .bool(true))
        XCTAssertEqual(JSONValue(gridText: "multi-modal"), .string("multi-modal"))
        XCTAssertEqual(JSONValue(gridText: "\"cosine\""), .string("cosine"))
        XCTAssertEqual(JSONValue(gridText: "nan"), .string("nan"))
        XCTAssertEqual(JSONValue(gridText: "[1]"), .array([1]))
    }

    func testMarkerReadsAndWritesTodaysText() throws {
        let marker = try JSONDecoder().decode(FolderMarker.self, from: Data(Self.markerText.utf8))
        XCTAssertEqual(marker.kind, "run")
        XCTAssertEqual(marker.text, Self.markerText + "\n")
        XCTAssertTrue(FolderMarker.isMarker(Data(Self.markerText.utf8)))
        XCTAssertFalse(FolderMarker.isMarker(Data("{\"tool\":\"other\"}".utf8)))
        XCTAssertFalse(FolderMarker.isMarker(Data("not json".utf8)))
    }

    func testMetricsRowsReadAndWriteTodaysLinesAndCells() throws {
        let decoder = JSONDecoder()
        for line in Self.jsonLines {
            let row = try decoder.decode(MetricsRow.self, from: Data(line.utf8))
            XCTAssertEqual(row.jsonObject.serialized(), line)
        }
        let csv = Self.metricsCSV.split(separator: "\n").map(String.init)
        XCTAssertEqual(csv[0], MetricsRow.header.joined(separator: ","))
        let first = try decoder.decode(MetricsRow.self, from: Data(Self.jsonLines[0].utf8))
        XCTAssertEqual(first[.step], 0)
        XCTAssertNil(first[.conditionNumber])
        XCTAssertEqual(first.csvFields.map(\.rendered).joined(separator: ","), csv[1])
    }

    func testBenchReportReadsAndWritesTodaysTextByteForByte() throws {
        XCTAssertEqual(BenchReport.schema(of: Data(Self.benchText.utf8)), BenchReport.currentSchema)
        let report = try RecordCoding.decode(BenchReport.self, from: Data(Self.benchText.utf8), url: url)
        XCTAssertEqual(report.ranks, 2)
        XCTAssertEqual(report.mode, .multiModal)
        XCTAssertEqual(report.perRank.count, 2)
        XCTAssertEqual(report.phases.named.map(\.key), ScalingTable.phaseKeys)
        XCTAssertEqual(try RecordCoding.text(report) + "\n", Self.benchText)
    }

    func testDecodingErrorsNameTheKeyPath() throws {
        let text = Self.benchText.replacingOccurrences(of: "\"forward\" :", with: "\"forwards\" :")
        XCTAssertThrowsError(try RecordCoding.decode(BenchReport.self, from: Data(text.utf8), url: url)) { e in
            guard case RecordError.malformed(_, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(
                reason.contains("`phases.forward` is missing")
                    || reason.contains("`per_rank[0].phases.forward` is missing"), reason)
        }
        XCTAssertThrowsError(try RecordCoding.decode(BenchReport.self, from: Data("{\"ranks\": ".utf8), url: url)) {
            e in
            XCTAssertTrue("\(e)".contains("not valid JSON"), "\(e)")
        }
    }

    func testAtomicFileLeavesNoTemporariesAndNamesTheFolderOnFailure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("summary.json")
        try RecordCoding.write(try XCTUnwrap(SummaryFile.decode(Data(Self.summaryText.utf8), url: url).run), to: file)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), Self.summaryText)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["summary.json"])
        XCTAssertThrowsError(try AtomicFile.write("x", to: dir.appendingPathComponent("missing/x.json"))) { e in
            guard case RecordError.io(let u, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(u.lastPathComponent, "x.json")
        }
    }
}
