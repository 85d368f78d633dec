extension OpenAPIFragments {
    static let financing = #"""
    {"paths": {}}
    """#
}
