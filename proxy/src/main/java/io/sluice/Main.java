package io.sluice;

import io.sluice.server.Launcher;

import java.nio.file.Path;

/** The command line; everything else lives in {@link Launcher}. */
public final class Main {
    private static final String USAGE = """
            usage: java -jar sluice.jar [-c FILE] [-t] [--version] [--help]
              -c, --config FILE  configuration file (default: the embedded config/sluice.conf)
              -t, --test         check the configuration and exit: 0 if valid, 1 if not
              --version          print versions (Sluice, Netty, TLS provider, Java) and exit
              -h, --help         print this help and exit
            """;

    private Main() {
    }

    public static void main(String[] args) {
        Path config = null;
        boolean test = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-c", "--config" -> {
                    if (i + 1 >= args.length) {
                        exit(2, "sluice: " + args[i] + " needs a file\n" + USAGE);
                    }
                    config = Path.of(args[++i]);
                }
                case "-t", "--test" -> test = true;
                case "--version", "-v" -> exit(0, Launcher.version());
                case "-h", "--help" -> exit(0, USAGE);
                default -> exit(2, "sluice: unknown argument " + args[i] + "\n" + USAGE);
            }
        }
        int status = test ? Launcher.test(config, System.out, System.err) : Launcher.run(config, System.err);
        System.exit(status);
    }

    private static void exit(int status, String message) {
        (status == 0 ? System.out : System.err).println(message.strip());
        System.exit(status);
    }
}
