package io.sluice.staticfiles;

import io.netty.handler.codec.http.HttpMethod;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.LocationConfig;
import io.sluice.config.StaticConfig;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;
import io.netty.util.AsciiString;

/**
 * The {@code static} action: serves the files below a root directory, like nginx's {@code root} with
 * {@code sendfile on}, {@code open_file_cache}, {@code gzip_static}, {@code try_files} and {@code autoindex}.
 * One instance per location, shared by every event loop; per-request state lives in {@link FileRequest}.
 */
public final class StaticFileHandler implements ExchangeHandler {
    final StaticConfig config;
    final LocationConfig location;
    final OpenFileCache cache;
    final BlockingPool blockingPool;
    final AsciiString cacheControl;
    /** Listing pages rendered and not yet written out, across all event loops. */
    final ContentBudget listings = new ContentBudget(DirectoryListing.PAGES_HELD);

    public StaticFileHandler(LocationConfig location, StaticConfig config, BlockingPool blockingPool) {
        this.config = config;
        this.location = location;
        this.blockingPool = blockingPool;
        this.cache = new OpenFileCache(config.openFileCacheMax(), config.openFileCacheValid(),
                new FileResolver(config, new MimeTypes(config.mimeTypes()), contentBudget(config),
                        config.openFileCacheValid()), blockingPool);
        this.cacheControl = config.cacheControl() == null ? null : AsciiString.cached(config.cacheControl());
    }

    /** Content is only worth copying when the cache keeps the entry that holds it. */
    private static ContentBudget contentBudget(StaticConfig config) {
        return new ContentBudget(config.openFileCacheMax() == 0 ? 0 : config.openFileCacheMemory());
    }

    @Override
    public ExchangeListener start(Exchange exchange) {
        FileRequest request = new FileRequest(this, exchange);
        HttpMethod method = exchange.request().method();
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            request.methodNotAllowed();
        } else {
            request.start();
        }
        return request;
    }
}
