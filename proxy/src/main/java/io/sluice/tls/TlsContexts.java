package io.sluice.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.ListenConfig;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.TlsConfig;
import io.sluice.config.TlsConfig.CertificateConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The TLS certificates of every TLS listen address, as {@link SslContext}s chosen by SNI.
 *
 * <p>Certificates and keys are read and checked at startup before any listener binds ({@link #check}); their
 * contexts are built afterwards ({@link #build}), while the plain listeners already answer, and before any TLS
 * listener accepts. They are read again on {@link #reload} or when a
 * certificate or key file changes on disk (checked every {@code watch-interval}); the files are read on
 * the blocking pool, never on an event loop. A reload builds a complete new generation first: if any file
 * is unreadable the old certificates stay in service. New handshakes use the new generation at once;
 * established connections keep the engine, and so the context, they were made with. A replaced context is
 * released only after every event loop has passed the swap, and with BoringSSL it is freed when the last
 * engine made from it is closed. A configuration reload stages the certificates of the next configuration
 * first ({@link #stage}), binds what it needs with them ({@link #selector(String, Staged)}) and then installs
 * or discards them, so a reload that fails anywhere leaves the running certificates in place. Installs are
 * serialised; key rotation and releases run on one timer thread. A certificate's {@code ocsp-response} file
 * is read and verified with it, and watched with it.
 */
public final class TlsContexts implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    private final Map<String, CertificateSelector> selectors;
    private final BlockingPool blockingPool;
    private final EventExecutorGroup loops;
    private final TicketKeys ticketKeys = new TicketKeys();
    private final ScheduledExecutorService timer;
    private final OcspFetcher fetcher;
    /** The OCSP staples of the certificates in service, by listen address. */
    private final Map<String, List<CertificateStaple>> staples = new ConcurrentHashMap<>();
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile SluiceConfig config;
    private volatile Map<Path, FileTime> stamps;
    private volatile Consumer<SluiceConfig> installed = next -> { };
    private volatile boolean closed;
    /** What {@link #check} read, until {@link #build} makes contexts of it. */
    private Read checked;

    private TlsContexts(SluiceConfig config, Map<String, CertificateSelector> selectors, Map<Path, FileTime> stamps,
                        BlockingPool blockingPool, EventExecutorGroup loops) {
        this.config = config;
        this.selectors = selectors;
        this.stamps = stamps;
        this.blockingPool = blockingPool;
        this.loops = loops;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-tls-timer");
            thread.setDaemon(true);
            return thread;
        });
        this.fetcher = new OcspFetcher(timer, blockingPool);
    }

    /**
     * Reads and checks every certificate and key of the configuration on the calling thread (startup, before
     * binding: not an event loop); the contexts are built by {@link #build}. The selectors of {@link
     * #selector(String)} exist from here on and choose nothing until then: their listeners accept no
     * connection before {@link #build} has returned.
     *
     * @throws IllegalStateException naming the server block and file when a certificate cannot be used
     */
    public static TlsContexts check(SluiceConfig config, BlockingPool blockingPool, EventExecutorGroup loops) {
        Read read;
        try {
            read = read(config, Map.of());
        } catch (CertificateLoadException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        Map<String, CertificateSelector> selectors = new HashMap<>();
        for (String address : read.addresses().keySet()) {
            selectors.put(address, new CertificateSelector());
        }
        TlsContexts contexts = new TlsContexts(config, new ConcurrentHashMap<>(selectors), read.stamps(), blockingPool,
                loops);
        contexts.checked = read;
        return contexts;
    }

    /**
     * Builds the contexts of the certificates {@link #check} read (the costly part of a TLS start: the TLS
     * provider's set-up and one context per certificate), puts them in service and starts the file watch and
     * ticket key rotation. Called once, before any TLS listener accepts.
     *
     * @throws IllegalStateException naming the server block and file when a context cannot be built
     */
    public void build() {
        Loaded loaded;
        try {
            loaded = build(checked);
        } catch (CertificateLoadException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        checked = null;
        for (Map.Entry<String, CertificateSelector.Generation> entry : loaded.generations.entrySet()) {
            selectors.get(entry.getKey()).swap(entry.getValue());
            for (SslContext context : entry.getValue().contexts()) {
                ticketKeys.applyTo(context);
            }
        }
        staples.putAll(loaded.staples);
        fetcher.track(staplesInService());
        schedule(config);
    }

    /** The SNI mapping of a TLS listen address as written in the configuration, or {@code null}. */
    public Mapping<String, SslContext> selector(String address) {
        return selectors.get(address);
    }

    /** The mapping a listener bound during a reload uses: the running one, or the staged one of a new address. */
    public Mapping<String, SslContext> selector(String address, Staged staged) {
        CertificateSelector running = selectors.get(address);
        return running != null ? running : staged.added.get(address);
    }

    /**
     * The certificates of a configuration, read and ready but not in service; {@link #install} or
     * {@link #discard} it.
     */
    public static final class Staged {
        private final SluiceConfig config;
        private final Loaded loaded;
        private final Map<String, CertificateSelector> added = new HashMap<>();

        private Staged(SluiceConfig config, Loaded loaded, Map<String, CertificateSelector> running) {
            this.config = config;
            this.loaded = loaded;
            loaded.generations.forEach((address, generation) -> {
                if (!running.containsKey(address)) {
                    added.put(address, new CertificateSelector(generation));
                }
            });
        }
    }

    /**
     * Reads the certificates of {@code next} on the blocking pool; fails naming the block and file. A
     * configuration without TLS listeners has no file to read and is staged at once: a pool held by a disk
     * that stopped answering must not fail a reload that never touches it.
     */
    public Future<Staged> stage(SluiceConfig next) {
        if (next.servers().stream().flatMap(server -> server.listen().stream()).noneMatch(ListenConfig::tls)) {
            try {
                return ImmediateEventExecutor.INSTANCE.newSucceededFuture(new Staged(next, load(next, Map.of()), selectors));
            } catch (CertificateLoadException e) {
                return ImmediateEventExecutor.INSTANCE.newFailedFuture(e);
            }
        }
        return blockingPool.submit(() -> new Staged(next, load(next, fetchedInService()), selectors),
                ImmediateEventExecutor.INSTANCE);
    }

    /**
     * Puts staged certificates in service: new handshakes use them at once, the replaced ones are released
     * once every loop has passed the swap. Addresses the new configuration no longer listens on keep their
     * certificates for the connections still draining there.
     */
    public synchronized void install(Staged staged) {
        List<SslContext> retired = new ArrayList<>();
        staged.loaded.generations.forEach((address, generation) -> {
            generation.contexts().forEach(ticketKeys::applyTo);
            CertificateSelector added = staged.added.get(address);
            CertificateSelector running = selectors.get(address);
            if (running != null) {
                retired.addAll(running.swap(generation).contexts());
            } else {
                selectors.put(address, added);
            }
        });
        staples.putAll(staged.loaded.staples);
        fetcher.track(staplesInService());
        config = staged.config;
        stamps = staged.loaded.stamps;
        if (!staged.loaded.generations.isEmpty()) {
            log.info("tls: certificates in service for {}", staged.loaded.generations.keySet());
        }
        retireAfterLoops(retired);
        installed.accept(staged.config);
    }

    /**
     * Called after each install with the configuration installed, on the installing thread (never an
     * event loop): the HTTP/3 listeners read their certificates again then.
     */
    public void onInstall(Consumer<SluiceConfig> listener) {
        installed = listener;
    }

    /** Releases staged certificates that will not be installed. */
    public void discard(Staged staged) {
        staged.loaded.generations.values().forEach(generation -> release(generation.contexts()));
    }

    /**
     * Re-reads the certificates of {@code next} (the running configuration when files changed on disk) and
     * installs them. The future fails, and the old certificates stay, when a file cannot be used.
     */
    public Future<Void> reload(SluiceConfig next) {
        Promise<Void> done = ImmediateEventExecutor.INSTANCE.newPromise();
        stage(next).addListener(staging -> {
            if (!staging.isSuccess()) {
                log.error("tls: certificates not reloaded, the previous ones stay in service: {}",
                        staging.cause().getMessage());
                done.tryFailure(staging.cause());
                return;
            }
            Staged staged = (Staged) staging.getNow();
            if (closed) {
                discard(staged);
                done.tryFailure(new IllegalStateException("closed"));
                return;
            }
            install(staged);
            done.trySuccess(null);
        });
        return done;
    }

    /** How many certificates in service have an OCSP response stapled to their handshakes right now. */
    public int stapledCertificates() {
        Instant now = Instant.now();
        return (int) staplesInService().stream().filter(staple -> staple.responseAt(now) != null).count();
    }

    private List<CertificateStaple> staplesInService() {
        Set<CertificateStaple> distinct = new LinkedHashSet<>();
        for (List<CertificateStaple> ofAddress : staples.values()) {
            distinct.addAll(ofAddress);
        }
        return List.copyOf(distinct);
    }

    /** The fetched staples in service, which a reload keeping their certificate and responder reuses. */
    private Map<CertificateStaple.Key, CertificateStaple> fetchedInService() {
        Map<CertificateStaple.Key, CertificateStaple> fetched = new HashMap<>();
        for (CertificateStaple staple : staplesInService()) {
            if (staple.fetched()) {
                fetched.putIfAbsent(staple.key(), staple);
            }
        }
        return fetched;
    }

    /** Releases contexts once every event loop has run a task queued after the swap. */
    private void retireAfterLoops(List<SslContext> retired) {
        List<EventExecutor> executors = new ArrayList<>();
        loops.forEach(executors::add);
        AtomicInteger remaining = new AtomicInteger(executors.size());
        Runnable passed = () -> {
            if (remaining.decrementAndGet() == 0) {
                releaseOnTimer(retired);
            }
        };
        for (EventExecutor executor : executors) {
            try {
                executor.execute(passed);
            } catch (RejectedExecutionException shuttingDown) {
                passed.run();
            }
        }
    }

    private void releaseOnTimer(List<SslContext> retired) {
        try {
            timer.execute(() -> release(retired));
        } catch (RejectedExecutionException closing) {
            release(retired);
        }
    }

    private void schedule(SluiceConfig config) {
        Duration watch = Duration.ZERO;
        Duration rotation = null;
        for (ServerConfig server : config.servers()) {
            TlsConfig tls = server.tls();
            if (tls == null) {
                continue;
            }
            if (!tls.watchInterval().isZero() && (watch.isZero() || tls.watchInterval().compareTo(watch) < 0)) {
                watch = tls.watchInterval();
            }
            if (rotation == null || tls.ticketKeyRotation().compareTo(rotation) < 0) {
                rotation = tls.ticketKeyRotation();
            }
        }
        if (!watch.isZero()) {
            long millis = Math.max(10, watch.toMillis());
            timer.scheduleWithFixedDelay(this::checkFiles, millis, millis, TimeUnit.MILLISECONDS);
        }
        if (rotation != null) {
            long millis = rotation.toMillis();
            timer.scheduleAtFixedRate(this::rotateTicketKeys, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    private void checkFiles() {
        if (closed || !checking.compareAndSet(false, true)) {
            return;
        }
        blockingPool.submit(() -> !stamps.equals(stamp(stamps.keySet())), ImmediateEventExecutor.INSTANCE)
                .addListener(check -> {
                    if (check.isSuccess() && Boolean.TRUE.equals(check.getNow())) {
                        log.info("tls: certificate files changed on disk; reloading");
                        reload(config).addListener(reloaded -> checking.set(false));
                    } else {
                        checking.set(false);
                    }
                });
    }

    private void rotateTicketKeys() {
        ticketKeys.rotate();
        for (CertificateSelector selector : selectors.values()) {
            selector.current().contexts().forEach(ticketKeys::applyTo);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        fetcher.close();
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (CertificateSelector selector : selectors.values()) {
            // a start that failed before build() left its selectors empty
            if (selector.current() != null) {
                release(selector.current().contexts());
            }
        }
    }

    private static void release(Collection<SslContext> contexts) {
        contexts.forEach(ReferenceCountUtil::release);
    }

    /**
     * What one load produced: a generation per TLS address, the OCSP staples of its certificates, and the
     * modification times the files were read at.
     */
    private record Loaded(Map<String, CertificateSelector.Generation> generations,
                          Map<String, List<CertificateStaple>> staples, Map<Path, FileTime> stamps) {
    }

    /** {@code fetched}: staples in service that a certificate of this load may keep, see {@link CertificateStaple.Key}. */
    private static Loaded load(SluiceConfig config, Map<CertificateStaple.Key, CertificateStaple> fetched)
            throws CertificateLoadException {
        return build(read(config, fetched));
    }

    /** A certificate and its key, read from their files and checked; its context is not built yet. */
    private record Checked(TlsConfig tls, String where, X509Certificate[] chain, PrivateKey key,
                           CertificateStaple staple, List<String> names) {
    }

    /** The certificates of one server block on an address, and the block's {@code server-names}. */
    private record Block(List<Checked> certificates, List<String> serverNames) {
    }

    /** One TLS listen address: whether it offers HTTP/2, and the server blocks that share it. */
    private record Address(boolean http2, List<Block> blocks) {
    }

    /** What one read of the files produced: every TLS address, the certificates' staples, the files' times. */
    private record Read(Map<String, Address> addresses, Map<String, List<CertificateStaple>> staples,
                        Map<Path, FileTime> stamps) {
    }

    private static Read read(SluiceConfig config, Map<CertificateStaple.Key, CertificateStaple> fetched)
            throws CertificateLoadException {
        Map<String, List<ServerConfig>> serversByAddress = new LinkedHashMap<>();
        Map<String, ListenConfig> listeners = new HashMap<>();
        for (ServerConfig server : config.servers()) {
            for (ListenConfig listen : server.listen()) {
                if (listen.tls()) {
                    String address = listen.address().toString();
                    serversByAddress.computeIfAbsent(address, a -> new ArrayList<>()).add(server);
                    listeners.putIfAbsent(address, listen);
                }
            }
        }
        Map<Path, FileTime> stamps = new HashMap<>();
        Map<String, Address> addresses = new LinkedHashMap<>();
        Map<String, List<CertificateStaple>> staples = new HashMap<>();
        Map<CertificateStaple.Key, CertificateStaple> reusable = new HashMap<>(fetched);
        for (Map.Entry<String, List<ServerConfig>> entry : serversByAddress.entrySet()) {
            List<Block> blocks = new ArrayList<>();
            List<CertificateStaple> ofAddress = new ArrayList<>();
            for (ServerConfig server : entry.getValue()) {
                List<Checked> certificates = new ArrayList<>();
                for (CertificateConfig certificate : server.tls().certificates()) {
                    stamps.putAll(stampFiles(server, certificate));
                    Checked checked = check(server, certificate, reusable);
                    if (checked.staple() != null) {
                        ofAddress.add(checked.staple());
                    }
                    certificates.add(checked);
                }
                blocks.add(new Block(certificates, server.serverNames()));
            }
            addresses.put(entry.getKey(), new Address(listeners.get(entry.getKey()).http2(), blocks));
            staples.put(entry.getKey(), List.copyOf(ofAddress));
        }
        return new Read(addresses, staples, stamps);
    }

    private static Loaded build(Read read) throws CertificateLoadException {
        Map<String, CertificateSelector.Generation> generations = new LinkedHashMap<>();
        List<SslContext> built = new ArrayList<>();
        try {
            for (Map.Entry<String, Address> entry : read.addresses().entrySet()) {
                boolean http2 = entry.getValue().http2();
                List<Map.Entry<SslContext, List<String>>> names = new ArrayList<>();
                List<SslContext> contexts = new ArrayList<>();
                for (Block block : entry.getValue().blocks()) {
                    List<SslContext> ofServer = new ArrayList<>();
                    for (Checked certificate : block.certificates()) {
                        Built context = build(certificate, http2);
                        built.add(context.context());
                        contexts.add(context.context());
                        ofServer.add(context.selected());
                        names.add(new AbstractMap.SimpleImmutableEntry<>(context.selected(), certificate.names()));
                    }
                    // a server name no certificate lists still gets the block's first certificate
                    names.add(new AbstractMap.SimpleImmutableEntry<>(ofServer.get(0), block.serverNames()));
                }
                generations.put(entry.getKey(), new CertificateSelector.Generation(names, contexts));
            }
        } catch (CertificateLoadException | RuntimeException e) {
            release(built);
            throw e;
        }
        return new Loaded(generations, read.staples(), read.stamps());
    }

    /**
     * A certificate's context ({@code context}, reference-counted: the one to release), what handshakes are
     * given ({@code selected}: the same, or a wrapper that staples its OCSP response).
     */
    private record Built(SslContext context, SslContext selected) {
    }

    /** Reads a certificate's chain and key and checks that they belong together, with its OCSP staple if any. */
    private static Checked check(ServerConfig server, CertificateConfig certificate,
                                 Map<CertificateStaple.Key, CertificateStaple> fetched) throws CertificateLoadException {
        TlsConfig tls = server.tls();
        String where = server.configPath() + ".tls (" + certificate.cert() + ", " + certificate.key() + ")";
        try {
            X509Certificate[] chain = PemFiles.certificates(certificate.cert());
            PrivateKey key = PemFiles.privateKey(certificate.key());
            PemFiles.checkKeyMatches(key, chain[0], certificate.key(), certificate.cert());
            CertificateStaple staple = certificate.ocspResponse() != null ? stapleFromFile(certificate, chain, where)
                    : tls.ocspStapling() ? fetchedStaple(tls, chain, where, fetched) : null;
            return new Checked(tls, where, chain, key, staple, names(chain[0]));
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new CertificateLoadException(where + ": " + e.getMessage(), e);
        }
    }

    private static Built build(Checked certificate, boolean http2) throws CertificateLoadException {
        TlsConfig tls = certificate.tls();
        try {
            List<String> protocols = http2 ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                    : List.of(ApplicationProtocolNames.HTTP_1_1);
            SslContextBuilder builder = SslContextBuilder.forServer(certificate.key(), certificate.chain())
                    .sslProvider(TlsProvider.provider())
                    .trustManager(NoClientCertificates.INSTANCE)
                    // the key store only carries the key from here to the key manager, in memory: JKS wraps
                    // the key with one hash, where PKCS#12 (the default) runs 10,000 PBKDF2 rounds to wrap it
                    // and as many again to unwrap it (a quarter of the CPU samples of a start with one
                    // certificate on one core)
                    .keyStoreType("JKS")
                    .protocols(tls.protocols())
                    .ciphers(tls.ciphers())
                    .sessionTimeout(tls.sessionTimeout().toSeconds())
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocols));
            CertificateStaple staple = certificate.staple();
            boolean stapling = staple != null && TlsProvider.nativeSsl();
            if (staple != null && !stapling) {
                log.warn("{}: OCSP stapling needs the native TLS provider; handshakes go without a staple",
                        certificate.where());
            }
            SslContext context = builder.enableOcsp(stapling).build();
            if (context.sessionContext() instanceof OpenSslServerSessionContext sessions) {
                // a session resumes only under the certificate it was made with: a ticket from one SNI name's
                // context must not skip authentication for another name sharing the ticket keys
                sessions.setSessionIdContext(MessageDigest.getInstance("SHA-256")
                        .digest(certificate.chain()[0].getEncoded()));
            }
            return stapling ? new Built(context, new StapledContext(context, staple)) : new Built(context, context);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new CertificateLoadException(certificate.where() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The staple of a certificate with an {@code ocsp-response} file, read and verified now; null when it has
     * none. A file that cannot be stapled fails the load, as nginx refuses such a configuration.
     */
    private static CertificateStaple stapleFromFile(CertificateConfig certificate, X509Certificate[] chain,
                                                    String where)
            throws IOException, GeneralSecurityException, CertificateLoadException {
        OcspCertificate ocsp = OcspCertificate.of(chain);
        try {
            OcspStaple staple = OcspResponses.verify(Files.readAllBytes(certificate.ocspResponse()), ocsp,
                    Instant.now());
            return new CertificateStaple(ocsp, null, staple);
        } catch (OcspResponses.RefusedException e) {
            throw new CertificateLoadException(where + ": ocsp-response " + certificate.ocspResponse() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The staple {@code ocsp-stapling} fetches for a certificate: the one in service (or already made by this
     * load for another address) when the certificate and responder are the same, else a new one with nothing to staple until its first response arrives. Null,
     * with a warning, when the certificate cannot be stapled (no issuer in the chain, no responder URL), as
     * nginx goes on without stapling it: a CA may have stopped running OCSP.
     */
    private static CertificateStaple fetchedStaple(TlsConfig tls, X509Certificate[] chain, String where,
                                                   Map<CertificateStaple.Key, CertificateStaple> fetched) {
        OcspCertificate ocsp;
        try {
            ocsp = OcspCertificate.of(chain);
        } catch (GeneralSecurityException e) {
            log.warn("{}: not stapled: {}", where, e.getMessage());
            return null;
        }
        URI responder = tls.ocspResponder() != null ? tls.ocspResponder() : ocsp.responder();
        if (responder == null || !"http".equalsIgnoreCase(responder.getScheme())) {
            log.warn("{}: not stapled: the certificate names no http:// OCSP responder (Authority Information"
                    + " Access: {}) and ocsp-responder is not set", where, responder);
            return null;
        }
        return fetched.computeIfAbsent(new CertificateStaple.Key(chain[0], responder),
                key -> new CertificateStaple(ocsp, responder, null));
    }

    /** The DNS names a certificate is for: its subject alternative names, else its common name. */
    static List<String> names(X509Certificate leaf) throws CertificateParsingException {
        List<String> names = new ArrayList<>();
        Collection<List<?>> alternatives = leaf.getSubjectAlternativeNames();
        if (alternatives != null) {
            for (List<?> alternative : alternatives) {
                if (Objects.equals(alternative.get(0), 2)) {
                    names.add(String.valueOf(alternative.get(1)));
                }
            }
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                    if ("CN".equalsIgnoreCase(rdn.getType())) {
                        names.add(String.valueOf(rdn.getValue()));
                    }
                }
            } catch (javax.naming.InvalidNameException ignored) {
                // a subject that is not an LDAP name names no host
            }
        }
        return names;
    }

    private static Map<Path, FileTime> stampFiles(ServerConfig server, CertificateConfig certificate)
            throws CertificateLoadException {
        try {
            List<Path> files = new ArrayList<>(List.of(certificate.cert(), certificate.key()));
            if (certificate.ocspResponse() != null) {
                files.add(certificate.ocspResponse());
            }
            return stamp(files);
        } catch (IOException e) {
            throw new CertificateLoadException(server.configPath() + ".tls: " + e, e);
        }
    }

    private static Map<Path, FileTime> stamp(Collection<Path> files) throws IOException {
        Map<Path, FileTime> times = new HashMap<>();
        for (Path file : files) {
            times.put(file, Files.getLastModifiedTime(file));
        }
        return times;
    }

    /** A certificate or key that cannot be used, with the server block and files it belongs to. */
    static final class CertificateLoadException extends Exception {
        CertificateLoadException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
