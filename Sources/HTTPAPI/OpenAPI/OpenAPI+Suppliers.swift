extension OpenAPIFragments {
    static let suppliers = #"""
    {"paths": {}}
    """#
}
