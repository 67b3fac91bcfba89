package io.sluice.config;

/** The one bounded pool where blocking calls (file system, certificates, disk logs) may run. */
public record BlockingPoolConfig(int threads, int queue) {

    static BlockingPoolConfig read(ConfigNode node) {
        int threads = node.integer("threads", 16);
        int queue = node.integer("queue", 10000);
        if (threads < 1) {
            node.error("threads", "must be at least 1");
        }
        if (queue < 1) {
            node.error("queue", "must be at least 1");
        }
        node.finish();
        return new BlockingPoolConfig(Math.max(threads, 1), Math.max(queue, 1));
    }
}
