package io.sluice.routing;

import io.sluice.config.LocationConfig;
import io.sluice.http.ExchangeHandler;

/** A location, the handler that serves it, and what is recorded when one of its exchanges ends. */
public record Route(LocationConfig location, ExchangeHandler handler, ExchangeRecorder recorder) {
}
