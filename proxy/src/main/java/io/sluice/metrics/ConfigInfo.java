package io.sluice.metrics;

/** {@code sluice_config_info{hash="..."} 1}: the running configuration's hash, as an info metric (a gauge of 1). */
final class ConfigInfo implements Metric {
    private static final String NAME = "sluice_config";
    private static final String[] LABEL_NAMES = {"hash"};

    private volatile SeriesLabels labels;

    void hash(String hash) {
        labels = SeriesLabels.of(LABEL_NAMES, new String[] {hash});
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void writeTo(StringBuilder out) {
        SeriesLabels current = labels;
        if (current == null) {
            return;
        }
        TextFormat.header(out, NAME + "_info", "The running configuration's hash", "gauge");
        TextFormat.sample(out, NAME + "_info", current, "1");
    }
}
