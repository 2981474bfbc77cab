// Sizes read from a file are multiplied out only through these, so a crafted shape becomes an error that
// names it instead of an overflow trap.
extension Array where Element == Int {
    /// The product of the extents; nil when one is negative or the product does not fit in an Int.
    var checkedProduct: Int? {
        var product = 1
        for extent in self {
            guard extent >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }
}
