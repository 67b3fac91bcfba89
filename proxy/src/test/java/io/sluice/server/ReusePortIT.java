package io.sluice.server;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On epoll and io_uring each worker loop has its own listening socket, and the kernel spreads connections
 * over them.
 */
class ReusePortIT {

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void eachLoopListensAndServesConnections(String transport) throws IOException {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  transport = %s
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""".formatted(transport))) {
            assumeTrue(transport.equals(sluice.server().transportName()), transport + " is not available on this machine");
            assertEquals(2, listeningSockets(sluice.port()), "one listening socket per loop, as ss -ltn shows");

            List<RawHttp> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    RawHttp http = new RawHttp(sluice.port());
                    clients.add(http);
                    assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
                }
                int[] perLoop = sluice.server().connectionsPerLoop();
                assertEquals(40, Arrays.stream(perLoop).sum());
                assertTrue(perLoop[0] > 0 && perLoop[1] > 0, "both loops serve connections: " + Arrays.toString(perLoop));
            } finally {
                for (RawHttp http : clients) {
                    http.close();
                }
            }
        }
    }

    private static Stream<String> lines(Path file) {
        try {
            return Files.readAllLines(file).stream();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Counts sockets in LISTEN state on the port, from the same table {@code ss -ltn} reads. */
    private static long listeningSockets(int port) throws IOException {
        String hexPort = ":" + String.format(Locale.ROOT, "%04X", port);
        return Stream.of("/proc/net/tcp", "/proc/net/tcp6").map(Path::of).filter(Files::exists)
                .flatMap(ReusePortIT::lines)
                .map(String::trim)
                .map(line -> line.split("\\s+"))
                .filter(fields -> fields.length > 3 && fields[1].endsWith(hexPort) && "0A".equals(fields[3]))
                .count();
    }
}
