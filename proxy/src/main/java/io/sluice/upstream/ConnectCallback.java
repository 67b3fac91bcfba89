package io.sluice.upstream;

/** Receives the outcome of {@link ConnectionPool#connect}, on the pool's event loop. */
interface ConnectCallback {

    void onConnected(UpstreamConnection connection, boolean reused);

    void onConnectFailed(Throwable cause);
}
