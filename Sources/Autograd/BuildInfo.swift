// Whether this build of the engine was compiled with optimisation. An unoptimised engine gives the
// same numbers but trains some 30 times slower, so tools can say so, and tests that train whole
// models can wait for a build that runs them in reasonable time.

/// Facts about how the engine was built.
public enum EngineBuild {
    /// True when the engine was compiled with -O (release builds, or debug builds with
    /// GPT_FAST_DEBUG=1, as the Makefile sets it).
    @inline(never) public static var isOptimized: Bool { !_isDebugAssertConfiguration() }
}
