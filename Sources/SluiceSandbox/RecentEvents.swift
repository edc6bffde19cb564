/// The newest `capacity` events a simulator received, oldest first, and how many older ones it
/// let go: a demo left running for days must not hold every event it was ever sent.
struct RecentEvents<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element] = []
    private var head = 0
    private(set) var dropped = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { storage.count - head }
    var elements: ArraySlice<Element> { storage[head...] }

    mutating func append(_ element: Element) {
        storage.append(element)
        guard count > capacity else { return }
        head += 1
        dropped += 1
        // Compacted once the dropped prefix is as long as what is kept: amortized O(1) per event.
        if head >= capacity { storage.removeFirst(head); head = 0 }
    }
}
