package io.sluice.server;

import java.util.List;

/** The outcome of a reload: the new configuration's hash, or the precise problems that kept the old one. */
public record ReloadResult(boolean success, String hash, List<String> problems, List<String> notes) {

    static ReloadResult failure(List<String> problems) {
        return new ReloadResult(false, null, List.copyOf(problems), List.of());
    }
}
