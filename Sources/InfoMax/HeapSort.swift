// InfoMax/HeapSort.swift — an in-place heap sort for the loss's per-step sorts (the labels'
// pair count, the dropped false positives): the standard library's sort may allocate in a step.

extension UnsafeMutableBufferPointer {
    /// Sorts the elements in place so that `before` holds between neighbours (not stable).
    func heapSort(by before: (Element, Element) -> Bool) {
        let n = count
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end, before(self[child], self[child + 1]) { child += 1 }
                guard before(self[root], self[child]) else { return }
                swapAt(root, child)
                root = child
            }
        }
        for start in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(start, n) }
        for end in stride(from: n - 1, to: 0, by: -1) {
            swapAt(0, end)
            siftDown(0, end)
        }
    }
}
