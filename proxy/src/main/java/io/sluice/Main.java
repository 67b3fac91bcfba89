package io.sluice;

import io.sluice.admin.AdminServer;
import io.sluice.server.Launcher;

import java.nio.file.Path;

/** The command line; everything else lives in {@link Launcher}. */
public final class Main {
    private static final String USAGE = """
            usage: java -jar sluice.jar [-c FILE] [-t [--diff OLD]] [--version] [--help]
              -c, --config FILE  configuration file (default: the embedded config/sluice.conf)
              -t, --test         check the configuration and exit: 0 if valid, 1 if not
              --diff OLD         with -t: also print what a reload from OLD to the checked file would change
              --version          print versions (Sluice, Netty, TLS provider, Java) and exit
              -h, --help         print this help and exit
            """;

    private Main() {
    }

    public static void main(String[] args) {
        Path config = null;
        boolean test = false;
        Path diffAgainst = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-c", "--config" -> {
                    if (i + 1 >= args.length) {
                        exit(2, "sluice: " + args[i] + " needs a file\n" + USAGE);
                    }
                    config = Path.of(args[++i]);
                }
                case "-t", "--test" -> test = true;
                case "--diff" -> {
                    if (i + 1 >= args.length) {
                        exit(2, "sluice: --diff needs the old configuration file\n" + USAGE);
                    }
                    diffAgainst = Path.of(args[++i]);
                }
                case "--version", "-v" -> exit(0, Launcher.version());
                case "-h", "--help" -> exit(0, USAGE);
                default -> exit(2, "sluice: unknown argument " + args[i] + "\n" + USAGE);
            }
        }
        if (diffAgainst != null && !test) {
            exit(2, "sluice: --diff goes with -t\n" + USAGE);
        }
        int status = diffAgainst != null ? Launcher.diff(config, diffAgainst, System.out, System.err)
                : test ? Launcher.test(config, System.out, System.err)
                : Launcher.run(config, System.err, AdminServer::start);
        System.exit(status);
    }

    private static void exit(int status, String message) {
        (status == 0 ? System.out : System.err).println(message.strip());
        System.exit(status);
    }
}
