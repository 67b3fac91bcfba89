package io.sluice.server;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReturnActionIT {

    @Test
    void servesReturnActionsAndRedirects() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "= /healthz", return { status = 200, body = "ok" } }
                    { match = "/old/", return { status = 301, location = "https://example.com/new/" } }
                    { match = "/", return { status = 200, body = "home" } }
                  ] } ]
                }""")) {
            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(sluice.uri("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertEquals("ok", health.body());
            assertEquals("sluice", health.headers().firstValue("server").orElseThrow());
            assertTrue(health.headers().firstValue("date").isPresent());

            HttpResponse<String> moved = client.send(HttpRequest.newBuilder(sluice.uri("/old/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(301, moved.statusCode());
            assertEquals("https://example.com/new/", moved.headers().firstValue("location").orElseThrow());

            HttpResponse<String> home = client.send(HttpRequest.newBuilder(sluice.uri("/anything?x=1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("home", home.body());
        }
    }
}
