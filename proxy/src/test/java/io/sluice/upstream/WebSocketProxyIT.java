package io.sluice.upstream;

import io.sluice.testing.RunningSluice;
import io.sluice.testing.WebSocketEcho;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WebSocketProxyIT {

    @Test
    void thousandMessagesEchoThroughTheTunnel() throws Exception {
        try (WebSocketEcho echo = new WebSocketEcho();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(echo.address()), ""))) {
            List<String> received = new ArrayList<>();
            CompletableFuture<Void> all = new CompletableFuture<>();
            WebSocket.Listener listener = new WebSocket.Listener() {
                private final StringBuilder partial = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                        received.add(partial.toString());
                        partial.setLength(0);
                        if (received.size() == 1000) {
                            all.complete(null);
                        }
                    }
                    webSocket.request(1);
                    return null;
                }

                @Override
                public void onError(WebSocket webSocket, Throwable error) {
                    all.completeExceptionally(error);
                }
            };
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + sluice.port() + "/ws"), listener)
                    .get(5, TimeUnit.SECONDS);
            for (int i = 0; i < 1000; i++) {
                socket.sendText("message " + i, true).get(5, TimeUnit.SECONDS);
            }
            all.get(20, TimeUnit.SECONDS);
            for (int i = 0; i < 1000; i++) {
                assertEquals("message " + i, received.get(i));
            }
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        }
    }
}
