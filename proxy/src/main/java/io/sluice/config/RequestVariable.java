package io.sluice.config;

/**
 * One request variable of a configured value (cache key, limit key, hash key). {@code name} is the header
 * name (lower case) for {@link Kind#HEADER}, the cookie name for {@link Kind#COOKIE}, else empty. See
 * {@link VariableText} for how they are written.
 */
public record RequestVariable(Kind kind, String name) {

    /** What a variable stands for. */
    public enum Kind {
        /** {@code $remote_addr}: the client address, after PROXY protocol. */
        REMOTE_ADDR,
        /** {@code $scheme}: {@code http} or {@code https}. */
        SCHEME,
        /** {@code $host}: the request's host, lower case, without port. */
        HOST,
        /** {@code $uri}: the normalised path, without query. */
        URI,
        /** {@code $args}: the query string, without its {@code ?}. */
        ARGS,
        /** {@code $request_uri}: the request target as sent. */
        REQUEST_URI,
        /** {@code $request_method}. */
        REQUEST_METHOD,
        /** {@code $http_NAME} or {@code $header:NAME}: a request header. */
        HEADER,
        /** {@code $cookie_NAME} or {@code $cookie:NAME}: a cookie of the request. */
        COOKIE
    }

    static RequestVariable of(Kind kind) {
        return new RequestVariable(kind, "");
    }
}
