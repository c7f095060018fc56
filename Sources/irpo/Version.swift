/// The version `irpo --version` prints; the only place it is written.
enum IRPOVersion {
    static let current = "0.4.0"
}
