/*
 * Runs scripts/quickstart.sh, the README's quickstart commands, end to end on the reactor's freshly
 * packaged platform: ./hookline up (registry, worker, tiny-world model build), tokens, two batches
 * of the demo facts, review, release, a serving node's edited answer and a rollback. Failsafe runs
 * it in `mvn verify`, after every launched module is packaged.
 */
package dev.hookline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.testkit.RegistryProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartIT {
    /** The script's own bound; the test waits a little longer so the script reports a timeout itself. */
    private static final int TIMEOUT_SECONDS = 1800;

    @TempDir
    Path tmp;

    @Test
    void quickstartRunsStartToEnd() throws Exception {
        Path root = RegistryProcess.runnerJar().getParent().getParent().getParent().getParent();
        Path script = root.resolve("scripts/quickstart.sh");
        assertTrue(Files.isExecutable(script), script + " is executable");
        Path data = tmp.resolve("data");
        Path log = tmp.resolve("quickstart.log");
        int port = freePair();
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("HOOKLINE_DATA", data.toString());
        pb.environment().put("QUICKSTART_PORT", String.valueOf(port));
        pb.environment().put("QUICKSTART_SERVE_PORT", String.valueOf(RegistryProcess.freePort()));
        pb.environment().put("QUICKSTART_TIMEOUT", String.valueOf(TIMEOUT_SECONDS));
        pb.environment().remove("HOOKLINE_TOKEN");
        pb.environment().put("HOOKLINE_CONFIG", tmp.resolve("cli.json").toString());
        long start = System.nanoTime();
        Process p = pb.start();
        boolean finished = p.waitFor(TIMEOUT_SECONDS + 120, TimeUnit.SECONDS);
        if (!finished) {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(out);
        System.out.printf("quickstart wall time: %.0f s%n", (System.nanoTime() - start) / 1e9);
        assertTrue(finished, "quickstart finished within its bound");
        assertEquals(0, p.exitValue(), "quickstart failed:\n" + out);
        assertTrue(out.contains("\"text\"") && out.contains("banjo"), "the edited answer was served");
        assertTrue(out.contains("oboe"), "the rollback brought the old answer back");
        assertTrue(out.contains("audit chain ok"), out);
        // Clean logs: no terminal escape codes in any log, no CUDA noise from CPU-only Java processes.
        for (String name : List.of("up.log", "worker.log", "model-build.log", "serve.log")) {
            String text = read(data.resolve(name));
            assertFalse(text.contains("\u001b["), name + " holds no ANSI escape codes");
            assertFalse(text.toLowerCase().contains("cuda"), name + " holds no CUDA warnings");
        }
    }

    private static String read(Path file) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " exists");
        return Files.readString(file, StandardCharsets.ISO_8859_1);
    }

    /** A port whose successor is free too (the worker's metrics listen on port + 1). */
    private static int freePair() {
        for (int i = 0; i < 50; i++) {
            int p = RegistryProcess.freePort();
            try (var a = new java.net.ServerSocket(p + 1)) {
                return p;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no two free consecutive ports");
    }
}
