extension OpenAPIFragments {
    static let reconciliation = #"""
    {"paths": {}}
    """#
}
