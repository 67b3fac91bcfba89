package io.sluice.upstream;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A WebSocket handshake answered with {@code 101} to another protocol. Before, Sluice opened the tunnel for any
 * 101 to a WebSocket request, so a backend that switched to {@code h2c} (or anything else) took raw HTTP/2 from
 * the client through the tunnel: requests that never passed Sluice's routing, limits or header rules (the
 * "h2c smuggling" pattern). A 101 must switch to what the client asked for (RFC 9110 §7.8), here websocket.
 */
class UpgradeSmugglingIT {
    private static final String HANDSHAKE = "GET %s HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\n"
            + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    private static final List<String> afterSwitch = new CopyOnWriteArrayList<>();
    private static ScriptedBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        for (String protocol : List.of("h2c", "websocket, h2c", "HTTP/2.0", "")) {
            backend.on("/to/" + protocol.replace(' ', '_'), (request, socket, out) -> {
                ScriptedBackend.respond(out, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                        + (protocol.isEmpty() ? "" : "Upgrade: " + protocol + "\r\n") + "\r\n");
                socket.setSoTimeout(1_000);
                try {
                    byte[] bytes = socket.getInputStream().readNBytes(24);
                    afterSwitch.add(new String(bytes, StandardCharsets.ISO_8859_1));
                } catch (SocketTimeoutException nothingCame) {
                    // what the test wants: no client byte reaches a backend that switched to something else
                }
                return false;
            });
        }
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), ""));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2c", "websocket,_h2c", "HTTP/2.0", ""})
    void aSwitchToAnotherProtocolIsA502AndNoClientByteReachesTheBackend(String protocol) throws Exception {
        afterSwitch.clear();
        try (Socket client = new Socket("127.0.0.1", sluice.port())) {
            client.setSoTimeout(5_000);
            client.getOutputStream().write(HANDSHAKE.formatted("/to/" + protocol).getBytes(StandardCharsets.US_ASCII));
            String head = readHead(client.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 502"), head);
            try {
                client.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException closedAlready) {
                // the 502 may end the connection first
            }
        }
        Thread.sleep(1_500);
        assertEquals(List.of(), afterSwitch.stream().filter(bytes -> !bytes.isEmpty()).toList());
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
