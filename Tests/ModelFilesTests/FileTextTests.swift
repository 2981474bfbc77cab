// Text from a file quoted in an error: short, with control and non-UTF-8 bytes escaped.
import ModelFiles
import Testing

struct FileTextTests {
    @Test func shortPrintableTextIsUnchanged() {
        #expect(FileText.quoted("blk.0.attn_q.weight") == "blk.0.attn_q.weight")
        #expect(FileText.quoted("▁héllo 世界") == "▁héllo 世界")
        #expect(FileText.quoted(bytes: Array("▁héllo".utf8)) == "▁héllo")
    }

    @Test func controlsAndBadBytesAreEscaped() {
        #expect(FileText.quoted("a\nb\t\u{0}\u{1B}\u{200B}") == #"a\nb\t\u{0}\u{1B}\u{200B}"#)
        #expect(FileText.quoted(bytes: [0x61, 0xFF, 0xC3, 0x41, 0xE2, 0x96, 0x81, 0xE2, 0x96]) == #"a\xFF\xC3A▁\xE2\x96"#)
    }

    @Test func longTextIsCutWithItsLength() {
        let long = String(repeating: "é", count: 1000)
        #expect(FileText.quoted(long, limit: 3) == "ééé... (2000 bytes in all)")
        #expect(FileText.quoted(bytes: Array(long.utf8), limit: 3) == "ééé... (2000 bytes in all)")
        #expect(FileText.quoted("abc", limit: 3) == "abc")
        #expect(FileText.quoted(bytes: Array("abc".utf8), limit: 3) == "abc")
    }
}
