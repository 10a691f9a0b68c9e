// Tests of the Report layer's file formats: CSV writer/reader, resume, JSON lines, JSON, atomic writes.
import Foundation
import RunRecords
import XCTest

@testable import Report

final class ReportFilesTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try ReportScratch.make("report-files") }

    override func tearDownWithError() throws { ReportScratch.remove(dir) }

    func testQuotingFollowsRFC4180() {
        XCTAssertEqual(CSVField.text("plain").rendered, "plain")
        XCTAssertEqual(CSVField.text("a,b").rendered, "\"a,b\"")
        XCTAssertEqual(CSVField.text("say \"hi\"").rendered, "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVField.text("two\nlines").rendered, "\"two\nlines\"")
        XCTAssertEqual(CSVField.number(.nan).rendered, "nan")
        XCTAssertEqual(CSVField.number(.infinity).rendered, "inf")
        XCTAssertEqual(CSVField.number(-.infinity).rendered, "-inf")
        XCTAssertEqual(CSVField.integer(42).rendered, "42")
        XCTAssertEqual(CSVField.empty.rendered, "")
    }

    func testRoundTripKeepsFullPrecisionTextAndNonFinite() throws {
        let url = dir.appendingPathComponent("m.csv")
        let values: [Double] = [0.1, 1.0 / 3.0, 1e-300, -2.5e17, .pi, 123456789.123456789, .nan, .infinity, -.infinity]
        let w = try CSVWriter(creating: url, header: ["step", "value", "note", "loss"])
        for (i, v) in values.enumerated() {
            try w.write([
                .integer(i), .number(v), .text(i % 2 == 0 ? "with, comma \"q\"" : "line\nbreak"),
                i == 3 ? .empty : .float(Float(v)),
            ])
        }
        try w.close()
        let t = try CSVTable(contentsOf: url)
        XCTAssertEqual(t.header, ["step", "value", "note", "loss"])
        XCTAssertEqual(t.rows.count, values.count)
        let back = try XCTUnwrap(t.numbers("value"))
        for (a, b) in zip(values, back) {
            let b = try XCTUnwrap(b)
            if a.isNaN {
                XCTAssertTrue(b.isNaN)
            } else {
                XCTAssertEqual(a.bitPattern, b.bitPattern, "\(a) read back as \(b)")
            }
        }
        XCTAssertEqual(t.strings("note")?[0], "with, comma \"q\"")
        XCTAssertEqual(t.strings("note")?[1], "line\nbreak")
        XCTAssertNil(t.numbers("loss")?[3], "an empty cell reads as missing")
        XCTAssertEqual(t.numbers("loss")?[0].map(Float.init), Float(0.1))
        guard case .strings? = t.column("note") else { return XCTFail("text column should be strings") }
        guard case .numbers? = t.column("loss") else { return XCTFail("numeric column with gaps should be numbers") }
        XCTAssertEqual(t.numericColumns, ["step", "value", "loss"])
    }

    func testRowsAreOnDiskImmediatelyAndNamedRowsFillGaps() throws {
        let url = dir.appendingPathComponent("live.csv")
        let w = try CSVWriter(creating: url, header: ["step", "loss", "test_accuracy"])
        try w.write(["step": 1, "loss": 0.5])
        // Not closed: a reader (or a crash) must already see the row.
        let t = try CSVTable(contentsOf: url)
        XCTAssertEqual(t.rows, [["1", "0.5", ""]])
        XCTAssertThrowsError(try w.write(["stpe": 2])) { e in
            XCTAssertTrue("\(e)".contains("stpe"), "the error names the bad column: \(e)")
        }
        XCTAssertThrowsError(try w.write([1, 2]))
    }

    func testAppendResumeChecksHeaderDropsPartialLineAndFiltersRows() throws {
        let url = dir.appendingPathComponent("resume.csv")
        let header = ["step", "loss"]
        do {
            let w = try CSVWriter(creating: url, header: header)
            for s in 1...5 { try w.write([.integer(s), .number(Double(s) / 10)]) }
        }
        // Simulate a crash in the middle of a row.
        let h = try FileHandle(forWritingTo: url)
        try h.seekToEnd()
        try h.write(contentsOf: Data("6,0.".utf8))
        try h.close()

        XCTAssertThrowsError(try CSVWriter(appendingTo: url, header: ["step", "loss", "extra"])) { e in
            guard case RecordError.headerMismatch(_, let expected, let found) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(expected, ["step", "loss", "extra"])
            XCTAssertEqual(found, header)
        }
        // Resume from a checkpoint at step 3: rows after it are dropped, then new ones appended.
        let w = try CSVWriter(appendingTo: url, header: header, keepingRows: { ($0.number("step") ?? 0) <= 3 })
        try w.write([4, 0.45])
        try w.close()
        let t = try CSVTable(contentsOf: url)
        XCTAssertEqual(t.numbers("step")?.compactMap { $0 }, [1, 2, 3, 4])
        XCTAssertEqual(t.numbers("loss")?.last ?? nil, 0.45)

        // Appending to a missing file creates it with the header.
        let fresh = dir.appendingPathComponent("fresh.csv")
        let w2 = try CSVWriter(appendingTo: fresh, header: header)
        try w2.write([1, 1.5])
        XCTAssertEqual(try String(contentsOf: fresh, encoding: .utf8), "step,loss\n1,1.5\n")
    }

    func testReaderHandlesCRLFQuotedNewlinesAndShortRows() throws {
        let t = try CSVTable(parsing: "a,b,c\r\n1,\"x\r\ny\",3\r\n4,5\r\n")
        XCTAssertEqual(t.header, ["a", "b", "c"])
        XCTAssertEqual(t.rows, [["1", "x\r\ny", "3"], ["4", "5", ""]])
        XCTAssertThrowsError(try CSVTable(parsing: "a,b\n\"open,1\n"))
        XCTAssertThrowsError(try CSVTable(parsing: ""))
    }

    func testJSONLinesStableKeysAndNullForNonFinite() throws {
        let url = dir.appendingPathComponent("events.jsonl")
        let w = try JSONLinesWriter(url: url)
        try w.write(
            ["step": 3, "loss": .number(.nan), "name": "a \"q\"\n", "ok": true, "list": [1, 2.5, .null]] as JSONValue)
        try w.write([("zeta", 1), ("alpha", JSONValue.number(.infinity))])
        try w.write([("b", JSONValue.number(0.1)), ("a", JSONValue.string("x"))])
        try w.close()
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(
            lines,
            [
                "{\"step\":3,\"loss\":null,\"name\":\"a \\\"q\\\"\\n\",\"ok\":true,\"list\":[1,2.5,null]}",
                "{\"zeta\":1,\"alpha\":null}",
                "{\"b\":0.1,\"a\":\"x\"}",
            ])
        // Every line is valid JSON for Foundation too, and reads back through JSONDecoder.
        for line in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8))) }
        let back = try JSONLinesWriter.read(JSONValue.self, from: url)
        XCTAssertEqual(back.count, 3)
        XCTAssertEqual(back[0]["name"]?.stringValue, "a \"q\"\n")
        XCTAssertEqual(back[0]["loss"], .null)
        XCTAssertEqual(back[2].objectValue?.map(\.key), ["a", "b"], "read back with sorted keys")
        try Data("{\"a\": 1}\n{\"a\": \n".utf8).write(to: url)
        XCTAssertThrowsError(try JSONLinesWriter.read(JSONValue.self, from: url)) { e in
            XCTAssertTrue("\(e)".contains("line 2"), "\(e)")
        }
    }

    func testJSONValueDecodesAnyJSONAndFlattens() throws {
        let v = try JSONDecoder().decode(
            JSONValue.self,
            from: Data(
                #"{"z": 1, "model": {"m": 50, "tau": 0.5}, "name": "caf\u00e9 \ud83d\ude00", "ok": false, "n": null, "l": [1, "a"]}"#
                    .utf8))
        XCTAssertEqual(v.objectValue?.map(\.key), ["l", "model", "n", "name", "ok", "z"])
        XCTAssertEqual(v["name"]?.stringValue, "café 😀")
        XCTAssertEqual(v["ok"], .bool(false))
        XCTAssertEqual(v["z"], .number(1))
        let flat = v.flattened()
        XCTAssertEqual(flat.map(\.key), ["l", "model.m", "model.tau", "n", "name", "ok", "z"])
        XCTAssertEqual(flat[2].value, "0.5")
        XCTAssertThrowsError(try JSONDecoder().decode(JSONValue.self, from: Data("{\"a\": }".utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(JSONValue.self, from: Data("[1, 2] 3".utf8)))
    }

    func testAtomicWriteReplacesWholeFileAndLeavesNoTemporaries() throws {
        let url = dir.appendingPathComponent("state.json")
        try AtomicFile.write("old contents that are longer", to: url)
        try AtomicFile.write(Data("new".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertEqual(names, ["state.json"], "no temporary files left behind")
        let missing = dir.appendingPathComponent("no-such-folder/x.json")
        XCTAssertThrowsError(try AtomicFile.write("x", to: missing)) { e in
            XCTAssertTrue("\(e)".contains("no-such-folder"), "\(e)")
        }
    }
}
