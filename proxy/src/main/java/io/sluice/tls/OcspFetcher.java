package io.sluice.tls;

import io.netty.util.concurrent.ImmediateEventExecutor;
import io.sluice.blocking.BlockingPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the fetched staples in service fresh, as nginx's {@code ssl_stapling on} does: each certificate's
 * response is requested from its responder (HTTP POST, {@code application/ocsp-request}) on the blocking
 * pool, never on an event loop and never holding up the start or a handshake (until the first answer
 * arrives handshakes go without a staple). A verified response replaces the staple and is refreshed well
 * before its nextUpdate (half its remaining validity, at most an hour later); a failed fetch or a refused
 * response keeps the last good staple while it is valid and is retried with a doubling back-off.
 */
final class OcspFetcher {
    private static final Logger log = LoggerFactory.getLogger(OcspFetcher.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    private static final Duration LONGEST_RETRY = Duration.ofMinutes(5);
    private static final Duration LONGEST_REFRESH = Duration.ofHours(1);
    private static final Duration SHORTEST_REFRESH = Duration.ofSeconds(1);
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;
    /** Responses are a few KiB; a responder sending more is broken or hostile. */
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;

    private final ScheduledExecutorService timer;
    private final BlockingPool blockingPool;
    private final Map<CertificateStaple, Refresh> tracked = new HashMap<>();

    OcspFetcher(ScheduledExecutorService timer, BlockingPool blockingPool) {
        this.timer = timer;
        this.blockingPool = blockingPool;
    }

    /** Fetches for exactly these staples from now on: new ones at once, dropped ones never again. */
    synchronized void track(Collection<CertificateStaple> inService) {
        Set<CertificateStaple> wanted = new HashSet<>();
        for (CertificateStaple staple : inService) {
            if (staple.fetched()) {
                wanted.add(staple);
            }
        }
        tracked.entrySet().removeIf(entry -> {
            if (!wanted.contains(entry.getKey())) {
                entry.getValue().stop();
                return true;
            }
            return false;
        });
        for (CertificateStaple staple : wanted) {
            if (!tracked.containsKey(staple)) {
                Refresh refresh = new Refresh(staple);
                tracked.put(staple, refresh);
                refresh.schedule(Duration.ZERO);
            }
        }
    }

    /** Stops every schedule (the process is stopping). */
    synchronized void close() {
        tracked.values().forEach(Refresh::stop);
        tracked.clear();
    }

    /** The fetch schedule of one staple: one attempt at a time, each scheduling the next. */
    private final class Refresh {
        private final CertificateStaple staple;
        private int failures;
        private volatile boolean stopped;
        private volatile ScheduledFuture<?> next;

        Refresh(CertificateStaple staple) {
            this.staple = staple;
        }

        void stop() {
            stopped = true;
            ScheduledFuture<?> scheduled = next;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
        }

        void schedule(Duration delay) {
            if (stopped) {
                return;
            }
            try {
                next = timer.schedule(this::attempt, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                stopped = true;
            }
        }

        private void attempt() {
            if (stopped) {
                return;
            }
            blockingPool.submit(this::fetch, ImmediateEventExecutor.INSTANCE).addListener(done -> {
                if (stopped) {
                    return;
                }
                if (done.isSuccess()) {
                    OcspStaple fresh = (OcspStaple) done.getNow();
                    staple.update(fresh);
                    if (failures > 0) {
                        log.info("tls: OCSP response for {} fetched again from {}", subject(), staple.responder());
                    }
                    failures = 0;
                    schedule(refreshDelay(fresh, Instant.now()));
                } else {
                    failures++;
                    Duration retry = retryDelay(failures);
                    log.warn("tls: no OCSP response for {} from {} ({}); {}, trying again in {}s", subject(),
                            staple.responder(), reason(done.cause()),
                            staple.responseAt(Instant.now()) != null ? "the previous one is still stapled"
                                    : "handshakes go without a staple", retry.toSeconds());
                    schedule(retry);
                }
            });
        }

        private OcspStaple fetch() throws IOException, OcspResponses.RefusedException, NoSuchAlgorithmException {
            byte[] request = staple.certificate().request();
            HttpURLConnection connection = (HttpURLConnection) staple.responder().toURL().openConnection(Proxy.NO_PROXY);
            try {
                connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
                connection.setReadTimeout(READ_TIMEOUT_MILLIS);
                connection.setInstanceFollowRedirects(false);
                connection.setUseCaches(false);
                connection.setRequestMethod("POST");
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", "application/ocsp-request");
                connection.setRequestProperty("Accept", "application/ocsp-response");
                connection.setFixedLengthStreamingMode(request.length);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(request);
                }
                int status = connection.getResponseCode();
                if (status != HttpURLConnection.HTTP_OK) {
                    throw new IOException("HTTP status " + status);
                }
                byte[] response;
                try (InputStream in = connection.getInputStream()) {
                    response = in.readNBytes(MAX_RESPONSE_BYTES + 1);
                }
                if (response.length > MAX_RESPONSE_BYTES) {
                    throw new IOException("response larger than " + MAX_RESPONSE_BYTES + " bytes");
                }
                return OcspResponses.verify(response, staple.certificate(), Instant.now());
            } finally {
                connection.disconnect();
            }
        }

        private String subject() {
            return staple.certificate().leaf().getSubjectX500Principal().getName();
        }
    }

    /** Half the time the response has left, between a second and an hour. */
    static Duration refreshDelay(OcspStaple staple, Instant now) {
        if (staple.nextUpdate() == null) {
            return LONGEST_REFRESH;
        }
        Duration half = Duration.between(now, staple.nextUpdate()).dividedBy(2);
        return half.compareTo(SHORTEST_REFRESH) < 0 ? SHORTEST_REFRESH
                : half.compareTo(LONGEST_REFRESH) > 0 ? LONGEST_REFRESH : half;
    }

    /** 5 s after the first failure, doubling up to 5 minutes. */
    static Duration retryDelay(int failures) {
        Duration delay = FIRST_RETRY.multipliedBy(1L << Math.min(failures - 1, 16));
        return delay.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : delay;
    }

    private static String reason(Throwable cause) {
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
}
