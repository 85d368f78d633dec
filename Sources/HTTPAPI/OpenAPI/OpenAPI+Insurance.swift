extension OpenAPIFragments {
    static let insurance = #"""
    {"paths": {}}
    """#
}
