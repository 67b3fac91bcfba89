package io.sluice.config;

/** Which Netty transport the event loops use; {@code AUTO} prefers epoll and falls back to NIO. */
public enum Transport {
    AUTO, EPOLL, IO_URING, NIO;

    static Transport read(ConfigNode node, String key) {
        String value = node.string(key, "auto");
        return switch (value) {
            case "auto" -> AUTO;
            case "epoll" -> EPOLL;
            case "io_uring", "io-uring" -> IO_URING;
            case "nio" -> NIO;
            default -> {
                node.error(key, "must be one of auto, epoll, io_uring, nio (got \"" + value + "\")");
                yield AUTO;
            }
        };
    }
}
