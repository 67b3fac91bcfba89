package io.sluice.metrics;

/** One metric of {@link SluiceMetrics}: the name the exposition is ordered by, and its part of the exposition. */
interface Metric {
    String name();

    /** Appends its {@code # HELP}, {@code # TYPE} and sample lines; nothing while it has no series. */
    void writeTo(StringBuilder out);
}
