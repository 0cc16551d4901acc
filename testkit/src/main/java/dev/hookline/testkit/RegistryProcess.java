/*
 * The real Hookline registry as a child process, for tests of the modules around it (worker,
 * serving node): the packaged Quarkus runner jar with its embedded PostgreSQL and S3Proxy
 * persisting under a data directory, exactly what `./hookline up` starts.
 */
package dev.hookline.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A registry child process on a free port. {@link #close()} stops it (SIGTERM, then SIGKILL).
 * Its log is {@code dataDir/registry.log}; read it when a test fails.
 */
public final class RegistryProcess implements AutoCloseable {
    /** How long a cold start (PostgreSQL initdb, Flyway, Quarkus) may take on a loaded 2-core machine. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    private final Path dataDir;
    private final int port;
    private final String adminToken;
    private Process process;

    private RegistryProcess(Path dataDir, int port, String adminToken) {
        this.dataDir = dataDir;
        this.port = port;
        this.adminToken = adminToken;
    }

    /** Starts a registry over {@code dataDir} (created if missing; reused data survives restarts). */
    public static RegistryProcess start(Path dataDir) {
        return start(dataDir, freePort(), Map.of());
    }

    /**
     * Starts a registry over {@code dataDir} on {@code port} with extra system properties (for
     * example {@code hookline.jobs.lease-seconds}).
     */
    public static RegistryProcess start(Path dataDir, int port, Map<String, String> properties) {
        try {
            Files.createDirectories(dataDir);
            Path tokenFile = dataDir.resolve("admin-token");
            if (!Files.isRegularFile(tokenFile)) {
                byte[] b = new byte[24];
                new Random().nextBytes(b);
                Files.writeString(tokenFile, "hl_test_" + HexFormat.of().formatHex(b));
            }
            RegistryProcess r = new RegistryProcess(dataDir.toAbsolutePath(), port, Files.readString(tokenFile).strip());
            r.launch(properties);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The runner jar of the registry in this checkout (built by the reactor before the tests). */
    public static Path runnerJar() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path jar = p.resolve("registry-service/target/quarkus-app/quarkus-run.jar");
            if (Files.isRegularFile(jar)) {
                return jar;
            }
        }
        throw new IllegalStateException("registry runner jar not found above " + dir
                + ": build it first (mvn -pl registry-service -am install -DskipTests)");
    }

    private void launch(Map<String, String> properties) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-Dhookline.data=" + dataDir);
        cmd.add("-Dquarkus.http.port=" + port);
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(runnerJar().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HOOKLINE_ADMIN_TOKEN", adminToken);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("registry.log").toFile()));
        process = pb.start();
        awaitReady();
    }

    private void awaitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpRequest ready = HttpRequest.newBuilder(url().resolve("/q/health/ready")).timeout(Duration.ofSeconds(5)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("registry exited with " + process.exitValue() + "; see "
                        + dataDir.resolve("registry.log"));
            }
            try {
                HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the registry", e);
            }
            sleep(250);
        }
        stop();
        throw new IllegalStateException("registry not ready after " + START_TIMEOUT.toSeconds() + " s; see "
                + dataDir.resolve("registry.log"));
    }

    /** Restarts the registry over the same data directory and port (e.g. after a simulated outage). */
    public void restart(Map<String, String> properties) {
        stop();
        try {
            launch(properties);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The registry root, e.g. http://127.0.0.1:41234. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The folder the embedded S3 server keeps objects under (for tamper tests). */
    public Path blobDir() {
        return dataDir.resolve("blobs");
    }

    public String adminToken() {
        return adminToken;
    }

    /** A client with the admin token. */
    public RegistryClient admin() {
        return new RegistryClient(url(), adminToken);
    }

    /** Creates a token for {@code principal} with {@code roles} and answers its value. */
    public String createToken(String principal, String... roles) {
        JsonNode created = admin().post("/api/tokens", Map.of("principal", principal, "roles", List.of(roles)));
        return created.get("token").asText();
    }

    /** A client for a new token of {@code principal} with {@code roles}. */
    public RegistryClient client(String principal, String... roles) {
        return new RegistryClient(url(), createToken(principal, roles));
    }

    /** True while the process runs. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Kills the process at once (SIGKILL), as a crash would. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(30));
        }
    }

    /** Stops the process (SIGTERM, SIGKILL after 30 s). */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(30))) {
                process.destroyForcibly();
                waitFor(Duration.ofSeconds(30));
            }
        }
    }

    private boolean waitFor(Duration d) {
        try {
            return process.waitFor(d.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** A port nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
