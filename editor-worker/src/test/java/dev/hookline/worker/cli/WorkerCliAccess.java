package dev.hookline.worker.cli;

/** Runs CLI commands in-process for tests (exit code instead of System.exit). */
public final class WorkerCliAccess {
    /** Any {@code worker} command line: exit code (errors go to System.err). */
    public static int execute(String... args) {
        return WorkerCli.execute(args);
    }

    /** {@code worker gc --registry URL --token T --min-age-seconds 0}: exit code. */
    public int gc(String url, String token) {
        return WorkerCli.execute("gc", "--registry", url, "--token", token, "--min-age-seconds", "0");
    }

    /** The registry batch view run-local builds from counterfact cases. */
    public static com.fasterxml.jackson.databind.node.ObjectNode batchView(String method,
            java.util.List<dev.hookline.data.EditRequest> requests) {
        return RunLocal.batchView(method, requests);
    }
}
