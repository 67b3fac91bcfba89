package io.sluice.ratelimit;

/** A monotonic clock in nanoseconds, as {@link System#nanoTime()}; tests pass one they advance by hand. */
@FunctionalInterface
public interface NanoClock {
    NanoClock SYSTEM = System::nanoTime;

    long nanoTime();
}
