extension OpenAPIFragments {
    static let credit = #"""
    {"paths": {}}
    """#
}
