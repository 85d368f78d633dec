/// Nightly close-of-business orchestration (issue 6).
enum Jobs {}
