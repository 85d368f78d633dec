extension OpenAPIFragments {
    static let orders = #"""
    {"paths": {}}
    """#
}
