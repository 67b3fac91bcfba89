package io.sluice.routing;

import io.sluice.config.LocationConfig;
import io.sluice.http.ExchangeHandler;

/** A location and the handler that serves it. */
public record Route(LocationConfig location, ExchangeHandler handler) {
}
