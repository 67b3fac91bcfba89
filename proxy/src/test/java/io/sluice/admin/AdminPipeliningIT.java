package io.sluice.admin;

import io.sluice.testing.OperatedSluice;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests pipelined on one admin connection are answered one at a time, in the order they came (RFC 9112
 * §9.3.2), and one connection cannot queue more than its current request for the admin work thread: a reload
 * asked for on another connection waits for at most the reload running, not for everything a client sent ahead.
 */
class AdminPipeliningIT {
    private static final String CONFIG = """
            sluice {
              workers = 1
              access-log { format = off }
              admin { listen = "127.0.0.1:0" }
              servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { status = 200 } } ] } ]
            }""";
    private static final String RELOAD = "POST /reload HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n";

    @Test
    void pipelinedAnswersKeepTheOrderOfTheRequests() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG);
             RawHttp admin = new RawHttp(sluice.adminPort(), 10_000)) {
            admin.send(RELOAD + "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n" + RELOAD
                    + "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
            for (int i = 0; i < 2; i++) {
                RawHttp.Response reload = admin.readResponse();
                assertNotNull(reload, "answer " + (2 * i + 1));
                assertTrue(reload.bodyText().contains("\"success\""), "answer " + (2 * i + 1)
                        + " is the reload's: " + reload.bodyText());
                RawHttp.Response health = admin.readResponse();
                assertNotNull(health, "answer " + (2 * i + 2));
                assertEquals("ok\n", health.bodyText(), "answer " + (2 * i + 2) + " is the health check's");
            }
        }
    }

    @Test
    void oneConnectionsPipelinedReloadsDoNotQueueAheadOfAnotherClient() throws Exception {
        // under the 128 requests Netty's codec lets a connection have unanswered before it closes it
        int pipelined = 100;
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG);
             RawHttp flood = new RawHttp(sluice.adminPort(), 60_000)) {
            flood.send(RELOAD.repeat(pipelined).getBytes(StandardCharsets.US_ASCII));
            AtomicInteger floodAnswered = new AtomicInteger();
            AtomicReference<String> floodEnd = new AtomicReference<>("answered");
            Thread reader = new Thread(() -> {
                try {
                    while (floodAnswered.get() < pipelined) {
                        RawHttp.Response response = flood.readResponse();
                        if (response == null || response.status() != 200) {
                            floodEnd.set(response == null ? "closed" : response.status() + " " + response.bodyText());
                            return;
                        }
                        floodAnswered.incrementAndGet();
                    }
                } catch (IOException e) {
                    floodEnd.set(e.toString());
                }
            });
            reader.setDaemon(true);
            reader.start();
            while (floodAnswered.get() < 5 && reader.isAlive()) {
                Thread.sleep(1);
            }
            try (RawHttp operator = new RawHttp(sluice.adminPort(), 60_000)) {
                RawHttp.Response reload = operator.send(RELOAD).readResponse();
                int aheadOfIt = floodAnswered.get();
                assertNotNull(reload);
                assertEquals(200, reload.status(), reload.bodyText());
                assertTrue(aheadOfIt < pipelined / 2, "the operator's reload was answered after " + aheadOfIt
                        + " of the " + pipelined + " reloads another connection had pipelined");
            }
            reader.join(60_000);
            assertEquals(pipelined, floodAnswered.get(), "every pipelined reload is answered; " + floodEnd.get());
        }
    }
}
