package io.sluice.server;

/** Whether the process should receive traffic, and if not, why (shown by {@code /readyz}). */
public record Readiness(boolean ready, String reason) {
}
